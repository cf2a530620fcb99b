"""A participant's language: chosen from ?lang= or the browser among the study's languages, fixed at consent."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from sqlalchemy import select

from experiments.definition import EXPERIMENTS_DIR, StudyFileError, load_study, parse_study, study_files
from exporting import finish_directly
from webapp.extensions import db
from webapp.models import Event

LANG_RE = re.compile(r'<html lang="([a-z]+)">')


def _demo_data() -> dict:
    return tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())


def _consented(app, participant_id) -> dict:
    with app.app_context():
        event = db.session.execute(select(Event).where(Event.participant_id == participant_id,
                                                       Event.kind == "consented")).scalar_one()
        return json.loads(event.payload)


def test_shipped_studies_offer_english_german_and_japanese():
    for path in study_files():
        assert load_study(path).languages == ("en", "de", "ja"), path.name


def test_languages_default_to_english_and_unknown_codes_get_a_did_you_mean():
    data = _demo_data()
    del data["study"]["languages"]
    assert parse_study(data).languages == ("en",)
    data["study"]["languages"] = ["de", "jp"]
    with pytest.raises(StudyFileError, match=r"study.languages.*'jp'.*did you mean 'ja'"):
        parse_study(data)
    data["study"]["languages"] = "de"
    with pytest.raises(StudyFileError, match="must be a non-empty list"):
        parse_study(data)
    data["study"]["languages"] = ["de", "de"]
    with pytest.raises(StudyFileError, match="listed twice"):
        parse_study(data)


def test_english_only_definitions_keep_their_stored_form():
    data = _demo_data()
    del data["study"]["languages"]
    assert "languages" not in json.loads(parse_study(data).to_json())


def test_lang_parameter_on_the_entry_url_fixes_the_language_at_consent(app, journey):
    walk = journey(query="?lang=de")
    walk.get("?lang=de")
    assert LANG_RE.search(walk.page).group(1) == "de"
    walk.consent()
    participant = walk.participant()
    assert participant.language == "de"
    assert _consented(app, participant.id)["language"] == "de"
    # fixed: a later ?lang= or another browser preference does not change it
    walk.get("?lang=ja", headers={"Accept-Language": "ja"})
    assert LANG_RE.search(walk.page).group(1) == "de"
    assert walk.participant().language == "de"


def test_lang_survives_the_redirect_that_strips_recruiting_ids(app, journey):
    walk = journey()
    walk.get("?PROLIFIC_PID=abc123&lang=ja")
    assert LANG_RE.search(walk.page).group(1) == "ja"


def test_browser_preference_among_the_study_languages_decides_without_lang(app, journey):
    walk = journey()
    walk.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR, ja;q=0.8, de;q=0.5"
    walk.consent()
    assert walk.participant().language == "ja"
    assert LANG_RE.search(walk.page).group(1) == "ja"


def test_a_language_the_study_does_not_offer_falls_back_to_its_first(app, journey):
    data = _demo_data()
    data["study"].update(slug="nurdeutsch", languages=["de"])
    from webapp.studies import install_definition
    with app.app_context():
        install_definition(parse_study(data, source="nurdeutsch"))
        db.session.commit()
    walk = journey("nurdeutsch", "?lang=ja")
    walk.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    walk.consent()
    assert walk.participant().language == "de"


def test_studio_and_english_studies_stay_english(app, client):
    page = client.get("/s/demo", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert LANG_RE.search(page).group(1) == "en"


def _consent_and_finish(app, walk) -> None:
    """Consent through the pages, which fixes the language; the pages after it are not under test here."""
    walk.consent()
    finish_directly(app, walk.participant().id)


def test_language_is_exported_as_a_participant_column(app, journey):
    from webapp.export import build_tables
    from webapp.studies import study_by_slug
    _consent_and_finish(app, journey(query="?lang=ja"))
    _consent_and_finish(app, journey(query="?lang=de"))
    _consent_and_finish(app, journey())
    with app.app_context():
        people = build_tables(study_by_slug("demo"))["participants"]
    assert sorted(people["language"]) == ["de", "en", "ja"]


def test_template_text_follows_a_change_of_language_within_a_request(app):
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    with app.test_request_context("/"):
        assert render_template_string("{{ _('Progress') }}") == "Progress"
        with force_locale("de"):
            assert render_template_string("{{ _('Progress') }}") == "Fortschritt"
        assert render_template_string("{{ _('Progress') }}") == "Progress"
        from flask import g
        g.participant_language = "ja"  # what i18n.fix_language does once a participant is known
        refresh()
        assert render_template_string("{{ _('Progress') }}") == "進捗"
