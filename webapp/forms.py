"""Participant forms, built from the study definition (Flask-WTF gives them CSRF protection)."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from babel.numbers import get_currency_precision
from flask_babel import format_currency, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import RadioInput


class QuickRadioInput(RadioInput):
    """WTForms' radio ``<input>``, the same markup, without its generic attribute pass.

    A questionnaire page renders dozens of options, and the generic pass (``dir()`` of the
    field's flags, a Markup format per attribute) cost about 60 µs each. Options rendered
    with extra attributes take the generic path.
    """

    def __call__(self, field, **kwargs):
        if kwargs or getattr(field, "_datalist", None) is not None:
            return super().__call__(field, **kwargs)
        flags = vars(field.flags)
        parts = ["checked"] if field.checked else []
        parts += [_attribute("disabled", flags["disabled"])] if "disabled" in flags else []
        parts += [f'id="{escape(field.id)}"', f'name="{escape(field.name)}"']
        parts += [_attribute("required", flags["required"])] if "required" in flags else []
        parts += ['type="radio"', f'value="{escape(field._value())}"']
        return Markup(f"<input {' '.join(p for p in parts if p)}>")


def _attribute(name: str, value) -> str:
    """One attribute as WTForms writes it: bare when True, left out when False."""
    value = value() if callable(value) else value
    return name if value is True else "" if value is False else f'{name}="{escape(value)}"'


class RadioButtons(RadioField):
    option_widget = QuickRadioInput()


class ConsentForm(FlaskForm):
    nonce = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])
    agree = SubmitField(_l("I agree and want to take part"))
    decline = SubmitField(_l("I do not want to take part"))


class StepForm(FlaskForm):
    """A step with nothing to fill in (read, then continue)."""

    submit = SubmitField(_l("Continue"))


class WithdrawForm(FlaskForm):
    confirm = SubmitField(_l("Withdraw and delete my data"))


_FORM_CLASSES: dict[tuple, tuple[tuple, type[FlaskForm]]] = {}
_FORM_CLASSES_LIMIT = 512  # form classes per process; a definition's parts live as long as its cached version


def built_once(key=lambda *parts: parts):
    """Build a form class once per study part and language, not on every request.

    The parts (a Likert block, the checks, the catalogue) come from cached, immutable study
    definitions, so they are told apart by identity; messages are translated when the class
    is built, hence the language in the key. `key` picks the parts that decide the class.
    """

    def decorate(build):
        @wraps(build)
        def cached(*args):
            parts = key(*args)
            index = (build.__name__, str(get_locale() or "en"), *(_by_value(part) for part in parts))
            hit = _FORM_CLASSES.get(index)
            if hit is None or any(kept is not part for kept, part in zip(hit[0], parts) if _by_value(part) != part):
                if len(_FORM_CLASSES) >= _FORM_CLASSES_LIMIT:
                    _FORM_CLASSES.clear()
                hit = _FORM_CLASSES[index] = (tuple(parts), build(*args))  # the parts kept: ids stay theirs
            return hit[1]
        return cached
    return decorate


def _by_value(part):
    """Strings and tuples are told apart by value, anything else by identity."""
    return part if isinstance(part, (str, tuple)) else id(part)


def _scale_choices(low: int, high: int) -> list[tuple[int, str]]:
    return [SelectChoice(value, str(value)) for value in range(low, high + 1)]


@built_once()
def likert_form(block) -> type[FlaskForm]:
    """One required radio row per item of a Likert block."""
    return _likert_form(block)


def _likert_form(block, extra: dict | None = None) -> type[FlaskForm]:
    fields = {
        item.key: RadioButtons(item.text, choices=_scale_choices(block.scale.min, block.scale.max), coerce=int,
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


@built_once(key=lambda definition: (definition.evaluation, definition.wtp))
def evaluation_form(definition) -> type[FlaskForm]:
    wtp = definition.wtp
    return _likert_form(definition.evaluation, {
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


@built_once(key=lambda keys: (tuple(keys),))
def closeness_form(keys: list[str]) -> type[FlaskForm]:
    fields = {key: RadioButtons(key, choices=_scale_choices(1, 7), coerce=int,
                                validators=[InputRequired(_("Please choose one of the pictures."))]) for key in keys}
    fields["submit"] = SubmitField(_("Continue"))
    return type("ClosenessForm", (FlaskForm,), fields)


@built_once(key=lambda checks, say=None: (checks,))
def checks_form(checks, say=lambda text: text) -> type[FlaskForm]:
    """`say` gives an option's label in the participant's language; its value stays the study's.

    The class is kept per `checks`: a (localized) definition's checks come with its own `say`.
    """
    fields = {checks.manipulation_key: RadioButtons(
        checks.manipulation_text, coerce=int,
        choices=_scale_choices(checks.manipulation_scale.min, checks.manipulation_scale.max),
        validators=[InputRequired(_("Please choose an answer."))])}
    for check in checks.attention:
        fields[check.key] = RadioButtons(check.text, choices=[SelectChoice(o, say(o)) for o in check.options],
                                         validators=[InputRequired(_("Please choose an answer."))])
    fields["submit"] = SubmitField(_("Continue"))
    return type("ChecksForm", (FlaskForm,), fields)


@built_once()
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


@built_once()
def design_form(catalogue) -> type[FlaskForm]:
    """The full editor as a plain form, so the design page works without JavaScript."""
    fields = {
        attribute.key: RadioButtons(attribute.label, validators=[InputRequired()],
                                    choices=[SelectChoice(lv.key, lv.label) for lv in attribute.levels])
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
