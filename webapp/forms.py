"""Participant forms, built from the study definition (Flask-WTF gives them CSRF protection)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError


class ConsentForm(FlaskForm):
    nonce = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])
    agree = SubmitField(_l("I agree and want to take part"))
    decline = SubmitField(_l("I do not want to take part"))


class StepForm(FlaskForm):
    """A step with nothing to fill in (read, then continue)."""

    submit = SubmitField(_l("Continue"))


class WithdrawForm(FlaskForm):
    confirm = SubmitField(_l("Withdraw and delete my data"))


def _scale_choices(low: int, high: int) -> list[tuple[int, str]]:
    return [SelectChoice(value, str(value)) for value in range(low, high + 1)]


def likert_form(block, extra: dict | None = None) -> type[FlaskForm]:
    """One required radio row per item of a Likert block."""
    fields = {
        item.key: RadioField(item.text, choices=_scale_choices(block.scale.min, block.scale.max), coerce=int,
                             validators=[InputRequired(_("Please choose an answer."))])
        for item in block.items
    }
    fields.update(extra or {})
    fields["submit"] = SubmitField(_("Continue"))
    return type("LikertForm", (FlaskForm,), fields)


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN, sNaN and infinities (which cannot be compared with a range)."""

    data: Decimal | None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def evaluation_form(definition) -> type[FlaskForm]:
    wtp = definition.wtp
    return likert_form(definition.evaluation, {
        "wtp": FiniteDecimalField(wtp.text, places=currency_places(wtp.currency), validators=[
            InputRequired(_("Please enter an amount (0 is fine).")), in_smallest_steps(wtp.currency),
            NumberRange(wtp.min, wtp.max, _("Please enter an amount between %(low)s and %(high)s.",
                                            low=format_currency(wtp.min, wtp.currency),
                                            high=format_currency(wtp.max, wtp.currency)))]),
    })


def in_smallest_steps(currency: str):
    """Refuse fractions the currency does not have (a yen amount is whole)."""
    places = get_currency_precision(currency)

    def check(form, field):
        try:
            fractional = field.data is not None and field.data != round(field.data, places)
        except (ArithmeticError, ValueError):  # too many digits to round: NumberRange (next) refuses it
            return
        if fractional:
            raise ValidationError(_("Please enter the amount in steps of %(step)s.",
                                    step=format_currency(10 ** -places, currency)))
    return check


def currency_places(currency: str) -> int:
    """Decimal places of the currency's smallest step: 2 for GBP or EUR, 0 for JPY."""
    return get_currency_precision(currency)


def closeness_form(keys: list[str]) -> type[FlaskForm]:
    fields = {key: RadioField(key, choices=_scale_choices(1, 7), coerce=int,
                              validators=[InputRequired(_("Please choose one of the pictures."))]) for key in keys}
    fields["submit"] = SubmitField(_("Continue"))
    return type("ClosenessForm", (FlaskForm,), fields)


def checks_form(checks, say=lambda text: text) -> type[FlaskForm]:
    """`say` gives an option's label in the participant's language; its value stays the study's."""
    fields = {checks.manipulation_key: RadioField(
        checks.manipulation_text, coerce=int,
        choices=_scale_choices(checks.manipulation_scale.min, checks.manipulation_scale.max),
        validators=[InputRequired(_("Please choose an answer."))])}
    for check in checks.attention:
        fields[check.key] = RadioField(check.text, choices=[SelectChoice(o, say(o)) for o in check.options],
                                       validators=[InputRequired(_("Please choose an answer."))])
    fields["submit"] = SubmitField(_("Continue"))
    return type("ChecksForm", (FlaskForm,), fields)


def demographics_form(demographics) -> type[FlaskForm]:
    return type("DemographicsForm", (FlaskForm,), {
        "age": IntegerField(demographics.age_text, validators=[
            Optional(), NumberRange(demographics.age_min, demographics.age_max,
                                    _("Please enter an age from %(low)s to %(high)s, or leave it blank.",
                                      low=demographics.age_min, high=demographics.age_max))]),
        "gender": SelectField(demographics.gender_text,
                              choices=[SelectChoice("", _("Prefer not to say"))]
                              + [SelectChoice(key, label) for key, label in demographics.gender_options]),
        "submit": SubmitField(_("Finish")),
    })


def design_form(catalogue) -> type[FlaskForm]:
    """The full editor as a plain form, so the design page works without JavaScript."""
    fields = {
        attribute.key: RadioField(attribute.label, choices=[SelectChoice(lv.key, lv.label) for lv in attribute.levels],
                                  validators=[InputRequired()])
        for attribute in catalogue.attributes
    }
    if catalogue.monogram_enabled:
        fields["monogram"] = StringField(_("Monogram"),
                                         validators=[Optional(), Length(max=12)])
    fields["update"] = SubmitField(_("Update preview"))
    fields["submit"] = SubmitField(_("Submit"))
    return type("DesignForm", (FlaskForm,), fields)


class ChangeForm(FlaskForm):
    """One attribute changed in the live editor."""

    attribute = StringField(validators=[InputRequired(), Length(max=30)])
    level = StringField(validators=[Optional(), Length(max=30)])


class TimeExtensionForm(FlaskForm):
    """The one request for more time before the study's time limit ends (WCAG 2.2.1): its CSRF token only.

    The button in participant/_time_limit.html has no name, so the form never looks like a
    step's own form to the bots (experiments.bots picks the form with the most fields).
    """


class DecisionForm(FlaskForm):
    decision = StringField(validators=[InputRequired(), Length(max=10)])


class PeerSuggestionForm(FlaskForm):
    """One change proposed for another participant's shirt: 'attribute:level' plus a comment."""

    suggestion = StringField(validators=[Optional(), Length(max=62)])
    comment = StringField(validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Send my suggestion"))
    skip = SubmitField(_l("Continue"))
