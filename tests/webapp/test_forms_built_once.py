"""Participant forms: built once per study part and language, radio buttons written as WTForms writes them."""

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import RadioInput

from experiments.definition import EXPERIMENTS_DIR, load_study
from webapp.forms import RadioButtons, checks_form, closeness_form, design_form, likert_form
from webapp.i18n import TRANSLATIONS, compile_catalogues


@pytest.fixture
def request_context():
    compile_catalogues()
    app = Flask(__name__)
    app.config.update(SECRET_KEY="forms", WTF_CSRF_ENABLED=False)
    Babel(app, default_translation_directories=str(TRANSLATIONS))
    with app.test_request_context("/"):
        yield


@pytest.fixture(scope="module")
def demo():
    return load_study(EXPERIMENTS_DIR / "demo.toml")


def options(form):
    return [option for field in form if isinstance(field, RadioButtons) for option in field]


def test_radio_buttons_write_the_same_markup_as_wtforms(request_context):
    class Form(FlaskForm):
        needed = RadioButtons("Needed", validators=[InputRequired()], coerce=int,
                              choices=[SelectChoice(1, "one"), SelectChoice(2, "two")])
        odd = RadioButtons("Odd values", validators=[Optional()],
                           choices=[SelectChoice('say "hi" & <go>', "quoted"), SelectChoice("o'k", "apostrophe")])

    form = Form(data={"needed": 2, "odd": "o'k"})
    rendered = options(form)
    assert len(rendered) == 4
    generic = RadioInput()
    for option in rendered:
        assert option() == generic(option)
        assert option(class_="chip", data_x="1") == generic(option, class_="chip", data_x="1")
    assert [option.checked for option in rendered] == [False, True, False, True]
    assert 'value="say &#34;hi&#34; &amp; &lt;go&gt;"' in rendered[2]()
    assert "required" in rendered[0]() and "required" not in rendered[2]()


def test_a_form_class_is_built_once_per_study_part_and_language(request_context, demo):
    block = demo.thinking_style
    assert likert_form(block) is likert_form(block)
    assert design_form(demo.catalogue()) is design_form(demo.catalogue())
    assert closeness_form(["ios_a", "ios_b"]) is closeness_form(["ios_a", "ios_b"])
    assert closeness_form(["ios_a"]) is not closeness_form(["ios_a", "ios_b"])
    assert checks_form(demo.checks, demo.say) is checks_form(demo.checks, demo.say)
    german = demo.localized("de")
    with force_locale("de"):
        in_german = likert_form(german.thinking_style)
        assert in_german is likert_form(german.thinking_style)
        message = in_german().__getattribute__(block.items[0].key).validators[0].message
    assert in_german is not likert_form(block)
    assert message != "Please choose an answer."  # the validator's message was translated when the class was built
