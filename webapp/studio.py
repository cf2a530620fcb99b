"""The experimenters' studio: log in, see and steer one's studies, pilot, monitor, export, delete on request.

Every page needs a logged-in experimenter, and a study is only found for its members:
for anyone else it does not exist (404), so the studio never tells who runs what.
"""

from __future__ import annotations

import io
import logging
import re
import time
import tomllib
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, session, url_for)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from . import journey, monitor
from .accounts import (AccountError, authenticate, check_email, check_password, end_sessions,
                       experimenter_for_session, normalise_email, set_password, verify_password)
from .database import lock
from .extensions import db, limiter, login_manager
from .models import (Experimenter, Participant, Study, StudioAction, StudyInvitation, StudyMember, StudyVersion,
                     utcnow)

log = logging.getLogger(__name__)

bp = Blueprint("studio", __name__, url_prefix="/studio")

LOGIN_LIMIT_PER_ACCOUNT = "5 per minute"   # per IP and e-mail
LOGIN_LIMIT_PER_ADDRESS = "30 per minute"  # per IP, whatever e-mail is tried
PROLIFIC_QUERY = "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
STATUS_ACTIONS = {"open": "open", "pause": "paused", "close": "closed"}
PASSWORD_CHANGE_LIMIT = "5 per minute"  # per account: the current password is checked like a login
# What each role may do. Viewers watch the monitor and export; editors also steer, pilot, load and delete.
ROLES = ("owner", "editor", "viewer")
ROLE_LABELS = {"owner": "owner (everything, and manages members)", "editor": "editor (steer, pilot, load, delete)",
               "viewer": "viewer (watch the monitor and export only)"}
EDITING_ROLES = ("owner", "editor")
INVITATION_DAYS = 30


# ---------------------------------------------------------------- forms
class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""

    submit = SubmitField("Go")


class MemberForm(FlaskForm):
    email = EmailField("E-mail of the experimenter", validators=[InputRequired(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES], default="editor")
    submit = SubmitField("Invite")


class MemberRoleForm(FlaskForm):
    """Change one member's role (owners only)."""

    experimenter = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])
    submit = SubmitField("Change")


class MemberRemoveForm(FlaskForm):
    experimenter = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    submit = SubmitField("Remove")


class InvitationForm(FlaskForm):
    """Accept, decline or withdraw one invitation."""

    invitation = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])
    submit = SubmitField("Go")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired(), Length(max=1024)])
    new = PasswordField("New password (at least 12 characters)", validators=[InputRequired(), Length(max=1024)])
    repeat = PasswordField("New password again", validators=[InputRequired(), Length(max=1024)])
    submit = SubmitField("Change the password")


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


# ---------------------------------------------------------------- login plumbing
@login_manager.user_loader
def load_experimenter(user_id: str):
    """Only a cookie of the account's current session generation logs in (logout ends all copies)."""
    return experimenter_for_session(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="login required", login=url_for("studio.login")), 401
    flash("Please log in to open the studio.", "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("studio.login", next=target) if target else url_for("studio.login"))


def login_key() -> str:
    return f"{get_remote_address()}|{normalise_email(request.form.get('email', ''))[:254]}"


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def too_many(error):
    reset_at = None
    current = getattr(limiter, "current_limit", None)
    if current is not None:
        reset_at = current.reset_at
    wait = max(1, int((reset_at or time.time() + 60) - time.time()))
    when = datetime.fromtimestamp(time.time() + wait, timezone.utc).strftime("%H:%M:%S UTC")
    message = (f"Too many login attempts. Please wait {wait} seconds and try again at {when}. "
               "Nothing is locked: after that you can log in as usual.")
    if request.accept_mimetypes.best == "application/json":
        response = jsonify(error="Too many attempts", message=message, retry_after=wait)
    else:
        response = current_app.make_response(
            render_template("error.html", status=429, title="Too many attempts", message=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def safe_next(target: str | None) -> str | None:
    """Only a path inside the studio, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/studio") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=login_key, methods=["POST"], scope="studio-login-account")
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], scope="studio-login-address")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(".index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        experimenter = authenticate(form.email.data, form.password.data)
        if experimenter is not None and login_user(experimenter):
            db.session.commit()  # a rehashed password
            log.info("experimenter %s logged in", experimenter.id)
            return redirect(safe_next(request.args.get("next")) or url_for(".index"), code=303)
        db.session.rollback()
        error = "The e-mail or password is not right."
    elif request.method == "POST":
        error = "Please enter your e-mail and password."
    status = 401 if error and request.method == "POST" else 200
    return render_template("studio/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    if not ActionForm().validate_on_submit():
        abort(400, "This form has expired. Reload the page and try again.")
    end_sessions(lock(Experimenter, current_user.id))  # every copy of this login cookie stops working
    db.session.commit()
    logout_user()
    session.pop("pilot", None)
    flash("You are logged out.", "info")
    return redirect(url_for(".login"), code=303)


# ---------------------------------------------------------------- helpers
def member_study(slug: str) -> tuple[Study, str]:
    """The study and the current experimenter's role in it; 404 when they are not a member."""
    row = db.session.execute(
        select(Study, StudyMember.role).join(StudyMember, StudyMember.study_id == Study.id)
        .where(Study.slug == slug, StudyMember.experimenter_id == current_user.id)).first()
    if row is None:
        abort(404, "There is no study at this address.")
    return row[0], row[1]


def editor_study(slug: str) -> Study:
    """A study the current experimenter may change: owners and editors; viewers get a 403 saying why."""
    study, role = member_study(slug)
    if role not in EDITING_ROLES:
        abort(403, "Your role in this study is viewer: you can watch the monitor and export the data. "
                   "Ask an owner for the editor role to change the study.")
    return study


def note(study: Study, action: str, detail: str = "") -> None:
    db.session.add(StudioAction(study_id=study.id, experimenter_id=current_user.id, at=utcnow(),
                                action=action, detail=detail[:200]))


def require_form(form: FlaskForm) -> FlaskForm:
    if not form.validate_on_submit():
        abort(400, "This form has expired or is incomplete. Reload the page and try again.")
    return form


def include_pilot_arg() -> bool:
    return request.args.get("include_pilot") in ("1", "true", "yes", "on")


def pilot_cell_in_session(slug: str) -> str | None:
    return session.get("pilot", {}).get(slug)


def export_id(study: Study, participant_id: int) -> str:
    """The pseudonymous participant id of the export."""
    return journey.pseudonym(study.slug, "participant", str(participant_id))[:16]


# ---------------------------------------------------------------- studies
@bp.get("/")
@login_required
def index():
    return render_template("studio/index.html", rows=monitor.studies_overview(current_user.id),
                           invitations=invitations_for(current_user), invitation_form=InvitationForm(),
                           logout_form=ActionForm())


@bp.get("/studies/<slug>", endpoint="study")
@login_required
def study_page(slug: str):
    study, role = member_study(slug)
    definition = study.current_version.definition if study.current_version is not None else None
    occupied = journey.occupied_counts(study)
    cells = [{"key": c.key, "visibility": c.visibility, "relation": c.relation, "target_n": c.target_n,
              "occupied": occupied.get(c.key, 0)} for c in definition.cells] if definition else []
    versions = db.session.execute(select(StudyVersion.number, StudyVersion.loaded_at, StudyVersion.source_name)
                                  .where(StudyVersion.study_id == study.id)
                                  .order_by(StudyVersion.number.desc())).all()
    members = study_members(study)
    actions = db.session.execute(select(StudioAction.at, StudioAction.action, StudioAction.detail, Experimenter.email)
                                 .outerjoin(Experimenter, Experimenter.id == StudioAction.experimenter_id)
                                 .where(StudioAction.study_id == study.id)
                                 .order_by(StudioAction.id.desc()).limit(20)).all()
    entry_url = url_for("participant.entry", slug=study.slug, _external=True)
    return render_template("studio/study.html", study=study, role=role, definition=definition, cells=cells,
                           versions=versions, members=members, actions=actions, entry_url=entry_url,
                           prolific_url=entry_url + PROLIFIC_QUERY, action_form=ActionForm(),
                           member_form=MemberForm(), logout_form=ActionForm(), roles=ROLES,
                           invitations=pending_invitations_of_study(study) if role == "owner" else [],
                           can_edit=role in EDITING_ROLES, owners=sum(m.role == "owner" for m in members),
                           piloting=pilot_cell_in_session(study.slug))


@bp.post("/studies/<slug>/status/<action>")
@login_required
def change_status(slug: str, action: str):
    study = editor_study(slug)
    if action not in STATUS_ACTIONS:
        abort(404)
    require_form(ActionForm())
    study = lock(Study, study.id)
    before, after = study.status, STATUS_ACTIONS[action]
    if before != after:
        study.status = after
        note(study, "status", f"{before} -> {after}")
        log.info("study %s: %s -> %s by experimenter %s", study.slug, before, after, current_user.id)
    db.session.commit()
    flash(f"The study is {after} now." if before != after else f"The study was {after} already.", "info")
    return redirect(url_for(".study", slug=slug), code=303)


# ---------------------------------------------------------------- members and invitations
def owners_count(study: Study) -> int:
    return db.session.execute(select(db.func.count()).select_from(StudyMember).where(
        StudyMember.study_id == study.id, StudyMember.role == "owner")).scalar_one()


def study_members(study: Study) -> list:
    return db.session.execute(select(Experimenter.id, Experimenter.email, StudyMember.role)
                              .join(StudyMember, StudyMember.experimenter_id == Experimenter.id)
                              .where(StudyMember.study_id == study.id).order_by(Experimenter.email)).all()


def pending_invitations_of_study(study: Study) -> list[StudyInvitation]:
    return list(db.session.execute(select(StudyInvitation).where(StudyInvitation.study_id == study.id)
                                   .order_by(StudyInvitation.email)).scalars())


def invite(study: Study, email: str, role: str) -> str:
    """Record an invitation; the answer is the same whether or not the e-mail has an account.

    The only look-up is among the study's own members (whom the owner sees listed anyway), so
    neither the message nor the work done depends on other accounts.
    """
    is_member = db.session.execute(
        select(StudyMember.experimenter_id).join(Experimenter, Experimenter.id == StudyMember.experimenter_id)
        .where(StudyMember.study_id == study.id, Experimenter.email == email)).first() is not None
    if is_member:
        return f"{email} is a member already; change their role in the list."
    invitation = db.session.execute(select(StudyInvitation).where(
        StudyInvitation.study_id == study.id, StudyInvitation.email == email)).scalar_one_or_none()
    if invitation is None:
        invitation = StudyInvitation(study_id=study.id, email=email)
        db.session.add(invitation)
    invitation.role, invitation.invited_by_id, invitation.created_at = role, current_user.id, utcnow()
    note(study, "member_invited", f"{email} as {role}")
    return (f"{email} is invited as {role}. The invitation waits on their studio page, now or once an account "
            f"with this e-mail exists, for {INVITATION_DAYS} days; they become a member when they accept it.")


def invitations_for(experimenter: Experimenter) -> list:
    """The invitations waiting for this account's e-mail (expired ones are left out)."""
    since = utcnow() - timedelta(days=INVITATION_DAYS)
    return db.session.execute(
        select(StudyInvitation, Study, Experimenter.email)
        .join(Study, Study.id == StudyInvitation.study_id)
        .outerjoin(Experimenter, Experimenter.id == StudyInvitation.invited_by_id)
        .where(StudyInvitation.email == experimenter.email, StudyInvitation.created_at >= since)
        .order_by(StudyInvitation.created_at)).all()


def own_invitation(invitation_id: int) -> StudyInvitation:
    invitation = db.session.get(StudyInvitation, invitation_id)
    if (invitation is None or invitation.email != current_user.email
            or invitation.created_at < utcnow() - timedelta(days=INVITATION_DAYS)):
        abort(404, "There is no such invitation for you (it may have been withdrawn or have expired).")
    return invitation


def accept_invitation(invitation: StudyInvitation) -> Study:
    study = lock(Study, invitation.study_id)
    if db.session.get(StudyMember, (study.id, current_user.id)) is None:
        db.session.add(StudyMember(study_id=study.id, experimenter_id=current_user.id, role=invitation.role))
        note(study, "member_joined", f"{current_user.email} as {invitation.role}")
    db.session.delete(invitation)
    return study


def change_role(study: Study, experimenter_id: int, role: str) -> str:
    """A new role for a member; the last owner keeps theirs (raises MemberError)."""
    study = lock(Study, study.id)  # one change at a time, so two owners cannot demote each other to none
    member = db.session.get(StudyMember, (study.id, experimenter_id))
    if member is None:
        abort(404, "That experimenter is not a member of this study.")
    if member.role == role:
        return "That member has this role already."
    if member.role == "owner" and owners_count(study) == 1:
        raise MemberError("A study needs an owner: make someone else owner first.")
    before, member.role = member.role, role
    note(study, "member_role", f"{member.experimenter.email}: {before} -> {role}")
    return f"{member.experimenter.email} is {role} now."


def remove_member(study: Study, experimenter_id: int) -> str:
    study = lock(Study, study.id)
    member = db.session.get(StudyMember, (study.id, experimenter_id))
    if member is None:
        abort(404, "That experimenter is not a member of this study.")
    if member.role == "owner" and owners_count(study) == 1:
        raise MemberError("The last owner cannot be removed: make someone else owner first.")
    email = member.experimenter.email
    db.session.delete(member)
    note(study, "member_removed", email)
    return f"{email} is no longer a member of this study."


class MemberError(ValueError):
    """A change to the members that would leave a study without an owner."""


def owner_study(slug: str) -> Study:
    study, role = member_study(slug)
    if role != "owner":
        abort(403, "Only an owner of the study can manage its experimenters.")
    return study


@bp.post("/studies/<slug>/members")
@login_required
def add_member(slug: str):
    study = owner_study(slug)
    form = require_form(MemberForm())
    try:
        email = check_email(form.email.data)
    except AccountError:
        flash("Please enter an e-mail address.", "error")
        return redirect(url_for(".study", slug=slug), code=303)
    message = invite(study, email, form.role.data)
    db.session.commit()
    flash(message, "info")
    return redirect(url_for(".study", slug=slug), code=303)


@bp.post("/studies/<slug>/members/role")
@login_required
def member_role(slug: str):
    study = owner_study(slug)
    form = require_form(MemberRoleForm())
    try:
        message = change_role(study, form.experimenter.data, form.role.data)
    except MemberError as error:
        db.session.rollback()
        abort(409, str(error))
    db.session.commit()
    flash(message, "info")
    return redirect(url_for(".study", slug=slug), code=303)


@bp.post("/studies/<slug>/members/remove")
@login_required
def member_remove(slug: str):
    study = owner_study(slug)
    form = require_form(MemberRemoveForm())
    try:
        message = remove_member(study, form.experimenter.data)
    except MemberError as error:
        db.session.rollback()
        abort(409, str(error))
    db.session.commit()
    flash(message, "info")
    if form.experimenter.data == current_user.id:
        return redirect(url_for(".index"), code=303)
    return redirect(url_for(".study", slug=slug), code=303)


@bp.post("/studies/<slug>/invitations/withdraw")
@login_required
def withdraw_invitation(slug: str):
    study = owner_study(slug)
    form = require_form(InvitationForm())
    invitation = db.session.get(StudyInvitation, form.invitation.data)
    if invitation is not None and invitation.study_id == study.id:
        db.session.delete(invitation)
        note(study, "invitation_withdrawn", invitation.email)
        db.session.commit()
    flash("The invitation is withdrawn.", "info")
    return redirect(url_for(".study", slug=slug), code=303)


@bp.post("/invitations/accept")
@login_required
def invitation_accept():
    form = require_form(InvitationForm())
    study = accept_invitation(own_invitation(form.invitation.data))
    db.session.commit()
    flash(f"You are a member of {study.title} now.", "info")
    return redirect(url_for(".study", slug=study.slug), code=303)


@bp.post("/invitations/decline")
@login_required
def invitation_decline():
    form = require_form(InvitationForm())
    invitation = own_invitation(form.invitation.data)
    note(invitation.study, "invitation_declined", invitation.email)
    db.session.delete(invitation)
    db.session.commit()
    flash("The invitation is declined.", "info")
    return redirect(url_for(".index"), code=303)


# ---------------------------------------------------------------- own account
@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(PASSWORD_CHANGE_LIMIT, key_func=lambda: f"account-{current_user.get_id()}", methods=["POST"],
               scope="studio-password-change")
def change_password():
    """A new password ends every other session of the account; this one stays logged in."""
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        experimenter = lock(Experimenter, current_user.id)
        if not verify_password(experimenter, form.current.data):
            error = "The current password is not right."
        elif form.new.data != form.repeat.data:
            error = "The two new passwords do not match."
        else:
            try:
                set_password(experimenter, form.new.data)
            except AccountError as problem:
                error = f"Not changed: {problem}."
        if error is None:
            db.session.commit()
            login_user(experimenter)  # this browser gets a cookie of the new generation
            log.info("experimenter %s changed their password", experimenter.id)
            flash("Your password is changed; every other session of your account has ended.", "info")
            return redirect(url_for(".index"), code=303)
        db.session.rollback()
    elif request.method == "POST":
        error = "Please fill in all three fields."
    return render_template("studio/password.html", form=form, error=error, logout_form=ActionForm()), \
        (400 if error else 200)


# ---------------------------------------------------------------- piloting
@bp.post("/studies/<slug>/pilot/<visibility>/<relation>")
@login_required
def pilot(slug: str, visibility: str, relation: str):
    study = editor_study(slug)
    cell = f"{visibility}/{relation}"
    if study.current_version is None or cell not in {c.key for c in study.current_version.definition.cells}:
        abort(404, "This study has no such cell.")
    require_form(ActionForm())
    pilots = dict(session.get("pilot", {}))
    pilots[slug] = cell
    session["pilot"] = pilots
    tokens = dict(session.get("participants", {}))
    tokens.pop(slug, None)  # start a fresh pilot participant, in this cell
    session["participants"] = tokens
    return redirect(url_for("participant.entry", slug=slug), code=303)


@bp.post("/studies/<slug>/pilot/stop")
@login_required
def stop_pilot(slug: str):
    study, _ = member_study(slug)
    require_form(ActionForm())
    pilots = dict(session.get("pilot", {}))
    was = pilots.pop(slug, None)
    session["pilot"] = pilots
    if was:
        tokens = dict(session.get("participants", {}))
        tokens.pop(slug, None)
        session["participants"] = tokens
    flash("Piloting stopped in this browser." if was else "You were not piloting this study.", "info")
    return redirect(url_for(".study", slug=study.slug), code=303)


# ---------------------------------------------------------------- monitoring
@bp.get("/studies/<slug>/monitor")
@login_required
def monitor_page(slug: str):
    study, _ = member_study(slug)
    include_pilot = include_pilot_arg()
    summary = monitor.study_summary(study, include_pilot)
    return render_template("studio/monitor.html", study=study, summary=summary, include_pilot=include_pilot,
                           chart=conformity_chart(summary["conformity_by_cell"]), logout_form=ActionForm())


@bp.get("/studies/<slug>/monitor.json")
@login_required
def monitor_json(slug: str):
    study, _ = member_study(slug)
    summary = monitor.study_summary(study, include_pilot_arg())
    summary["chart"] = conformity_chart(summary["conformity_by_cell"])
    return jsonify(summary)


CHART_WIDTH = 320


@bp.app_template_filter("studio_duration")
def format_duration(seconds: float | None) -> str:
    """12 min 05 s (or – when nobody has finished yet); studio.js formats the same way."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def conformity_chart(by_cell: dict) -> list[dict]:
    """Bar geometry for the inline SVG (and for studio.js, which updates it in place)."""
    bars = []
    for index, (key, value) in enumerate(by_cell.items()):
        mean = value["mean"]
        bars.append({"key": key, "n": value["n"], "mean": mean, "y": 8 + index * 30,
                     "width": round(CHART_WIDTH * max(0.0, min(1.0, mean or 0.0)), 1),
                     "label": "–" if mean is None else f"{mean:.2f}"})
    return bars


# ---------------------------------------------------------------- export
@bp.get("/studies/<slug>/export.zip")
@login_required
def export_zip(slug: str):
    study, _ = member_study(slug)
    try:
        from .export import export_zip_bytes
    except ImportError:
        abort(503, "The export is not available on this installation yet.")
    include_pilot = include_pilot_arg()
    data = export_zip_bytes(study, include_pilot=include_pilot)
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    log.info("study %s exported by experimenter %s (pilot included: %s)", study.slug, current_user.id, include_pilot)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{study.slug}-export-{day}.zip", max_age=0)


# ---------------------------------------------------------------- deletion on request
def find_participant(study: Study, identifier: str) -> Participant | None:
    """By recruiting id (hashed as at entry) or by the export's participant id."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    by_recruit = db.session.execute(select(Participant).where(
        Participant.study_id == study.id,
        Participant.recruit_id_hash == journey.pseudonym(study.slug, "recruit", identifier))).scalar_one_or_none()
    if by_recruit is not None:
        return by_recruit
    if not re.fullmatch(r"[0-9a-f]{16}", identifier.lower()):
        return None
    wanted = identifier.lower()
    ids = db.session.execute(select(Participant.id).where(Participant.study_id == study.id)).scalars()
    for participant_id in ids:
        if export_id(study, participant_id) == wanted:
            return db.session.get(Participant, participant_id)
    return None


@bp.route("/studies/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete(slug: str):
    study = editor_study(slug)
    form = LookupForm()
    if request.method == "POST":
        require_form(form)
        participant = find_participant(study, form.identifier.data)
        if participant is None:
            return render_template("studio/delete.html", study=study, form=form, logout_form=ActionForm(),
                                   not_found=True), 404
        confirm = ConfirmDeleteForm(formdata=None, reference=export_id(study, participant.id))
        return render_template("studio/delete_confirm.html", study=study, participant=participant,
                               reference=confirm.reference.data, form=confirm, logout_form=ActionForm())
    return render_template("studio/delete.html", study=study, form=form, logout_form=ActionForm(), not_found=False)


@bp.post("/studies/<slug>/delete/confirm")
@login_required
def delete_confirm(slug: str):
    study = editor_study(slug)
    form = require_form(ConfirmDeleteForm())
    participant = find_participant(study, form.reference.data)
    if participant is None:
        flash("That participant's data are gone already.", "info")
        return redirect(url_for(".study", slug=slug), code=303)
    participant = lock(Participant, participant.id)
    journey.withdraw(participant)
    note(study, "participant_deleted", "on request")
    db.session.commit()
    forget_here = session.get("participants", {}).get(slug)
    if forget_here:  # the experimenter deleted their own pilot participant
        if db.session.execute(select(Participant.id).where(Participant.token == forget_here)).first() is None:
            tokens = dict(session["participants"])
            tokens.pop(slug, None)
            session["participants"] = tokens
    flash("The participant's data were deleted; the study's withdrawal count went up by one.", "info")
    return redirect(url_for(".study", slug=slug), code=303)


# ---------------------------------------------------------------- uploading a study file
INSTRUMENT_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.toml$")
STUDY_FILE_MAX_BYTES = 64 * 1024  # the documented limit for a study file (setting STUDY_FILE_MAX_BYTES)
UPLOAD_OVERHEAD_BYTES = 8 * 1024  # the multipart framing and the CSRF token around the file
MAX_NESTING = 32  # a study file needs about 4 levels; deeper input only serves to exhaust the parser


def study_file_limit() -> int:
    return int(current_app.config.get("STUDY_FILE_MAX_BYTES", STUDY_FILE_MAX_BYTES))


def kilobytes(n: int) -> str:
    return f"{n / 1024:.0f} KB"


def widen_limits_for_upload():
    """The upload takes a file up to the documented limit; every other form keeps the small defaults.

    Runs first among the app's before-request functions, because CSRF protection reads the form.
    """
    if request.endpoint == "studio.upload" and request.method == "POST":
        allowed = study_file_limit() + UPLOAD_OVERHEAD_BYTES
        request.max_content_length = max(allowed, current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        request.max_form_memory_size = max(allowed, current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0)


@bp.record_once
def _install_upload_limits(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, widen_limits_for_upload)


def nesting_depth(data) -> int:
    """How deeply tables and arrays nest, counted without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return deepest


def _unsafe_instruments(data, path: str = "") -> list[tuple[str, str]]:
    """Uploaded files may only name the shipped instruments, never paths elsewhere on the server."""
    problems = []
    stack = [(data, path)]
    while stack:  # without recursion, so no nesting can exhaust the stack
        value, here = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                there = f"{here}.{key}" if here else key
                if key == "instrument" and not (isinstance(child, str) and INSTRUMENT_NAME.match(child)):
                    problems.append((there, "an uploaded study can only use the instruments shipped under experiments/"))
                else:
                    stack.append((child, there))
        elif isinstance(value, list):
            stack.extend((child, f"{here}[{index}]") for index, child in enumerate(value))
    return sorted(problems)


def read_study_upload(upload) -> tuple[dict | None, list[tuple[str, str]]]:
    """The uploaded file as TOML data, or the problems that stop it from being read."""
    limit = study_file_limit()
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise StudyFileTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [("(file)", "is not UTF-8 text")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [("(syntax)", str(error))]
    except RecursionError:
        return None, [("(file)", f"nests arrays or tables more than {MAX_NESTING} levels deep")]
    if nesting_depth(data) > MAX_NESTING:
        return None, [("(file)", f"nests arrays or tables more than {MAX_NESTING} levels deep")]
    return data, _unsafe_instruments(data)


class StudyFileTooLarge(Exception):
    """The uploaded file is over the limit (the request itself may still have been within it)."""


@bp.errorhandler(413)
@bp.errorhandler(StudyFileTooLarge)
def upload_too_large(error):
    """Too large a file gets the upload page again, saying what the limit is (the request is not read)."""
    if request.endpoint != "studio.upload":
        return render_template("error.html", status=413, title="Too much data",
                               message=getattr(error, "description", "") or ""), 413
    limit = kilobytes(study_file_limit())
    problems = [("(file)", f"is larger than {limit}, the limit for a study file; "
                           "move long texts into instrument files or shorten them")]
    return render_template("studio/upload.html", form=UploadForm(formdata=None), problems=problems, limit=limit,
                           logout_form=ActionForm(formdata=None)), 413


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    from experiments.definition import EXPERIMENTS_DIR, StudyFileError, parse_study
    from .studies import install_definition, study_by_slug

    form = UploadForm()
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        require_form(form)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", form.file.data.filename or "upload.toml")[:100]
        data, problems = read_study_upload(form.file.data)
        definition = None
        if not problems:
            try:
                definition = parse_study(data, source=name, base=EXPERIMENTS_DIR)
            except StudyFileError as error:
                problems = error.problems
        if definition is not None:
            existing = study_by_slug(definition.slug)
            membership = None if existing is None else db.session.get(StudyMember, (existing.id, current_user.id))
            if existing is not None and membership is None:
                problems = [("study.slug", f"{definition.slug!r} is taken by a study you are not a member of; "
                                           "choose another slug")]
            elif membership is not None and membership.role not in EDITING_ROLES:
                problems = [("study.slug", f"you are a viewer of {definition.slug!r}: only its owners and "
                                           "editors can load a new version")]
            else:
                study, version, created = install_definition(  # a new study starts paused: pilot, then open
                    definition, name, owner=current_user._get_current_object() if existing is None else None,
                    status="paused")
                if created:
                    note(study, "version_loaded", f"version {version.number} from {name}")
                db.session.commit()
                flash(f"Version {version.number} loaded from {name}." if created
                      else f"Unchanged: version {version.number} is this file already.", "info")
                return redirect(url_for(".study", slug=study.slug), code=303)
        db.session.rollback()
    status = 400 if problems else 200
    return render_template("studio/upload.html", form=form, problems=problems, limit=kilobytes(study_file_limit()),
                           logout_form=ActionForm()), status
