"""The studio's forms (Flask-WTF adds the CSRF token to each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from .membership_service import ROLES

ROW_ID = NumberRange(1, 2**31 - 1)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired(), Length(max=1024)])
    new = PasswordField("New password (at least 12 characters)", validators=[InputRequired(), Length(max=1024)])
    repeat = PasswordField("New password again", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Change the password")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""

    submit = SubmitField("Go")


class MemberForm(FlaskForm):
    email = EmailField("E-mail of the experimenter", validators=[InputRequired(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES], default="editor")
    submit = SubmitField("Invite")


class MemberRoleForm(FlaskForm):
    """Change one member's role (owners only)."""

    experimenter = IntegerField(validators=[InputRequired(), ROW_ID])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])
    submit = SubmitField("Change")


class MemberRemoveForm(FlaskForm):
    experimenter = IntegerField(validators=[InputRequired(), ROW_ID])
    submit = SubmitField("Remove")


class InvitationForm(FlaskForm):
    """Accept, decline or withdraw one invitation."""

    invitation = IntegerField(validators=[InputRequired(), ROW_ID])
    submit = SubmitField("Go")


class LookupForm(FlaskForm):
    identifier = StringField("Participant id (from the export) or recruiting id (e.g. Prolific ID)",
                             validators=[InputRequired(), Length(max=64)])
    submit = SubmitField("Find")


class ConfirmDeleteForm(FlaskForm):
    reference = HiddenField(validators=[InputRequired(), Length(min=16, max=16)])
    submit = SubmitField("Delete this participant's data")


class UploadForm(FlaskForm):
    file = FileField("Study file (.toml)", validators=[FileRequired()])
    submit = SubmitField("Validate and load")


PSEUDONYM_ID = [InputRequired(), Length(min=16, max=16)]


class ParticipantActionForm(FlaskForm):
    """An action on one participant, named by the export's participant id."""

    participant = HiddenField(validators=PSEUDONYM_ID)
    submit = SubmitField("Go")


class ExtendDeadlineForm(FlaskForm):
    participant = HiddenField(validators=PSEUDONYM_ID)
    minutes = IntegerField("Minutes", default=30, validators=[InputRequired(), NumberRange(1, 24 * 60)])
    submit = SubmitField("Give more time")


class CopyStudyForm(FlaskForm):
    new_slug = StringField("Slug of the copy", validators=[InputRequired(), Length(max=40)])
    submit = SubmitField("Copy the study")


class ConfirmSlugForm(FlaskForm):
    """A destructive action on a whole study: the slug typed again confirms it."""

    slug = StringField("Type the study's slug to confirm", validators=[InputRequired(), Length(max=40)])
    submit = SubmitField("Confirm")
