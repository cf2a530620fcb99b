"""A study file may carry its own translations of its texts; they win over the shipped tables and are checked."""

import copy

import pytest
from test_definition import demo_data, problems_for

from experiments.definition import StudyDefinition, StudyFileError, parse_study, study_texts

CONSENT_DE = "Willkommen! Diese Studie gehört zu unserem eigenen Projekt. Bitte lesen Sie in Ruhe."


def with_translations(translations: dict, languages=("en", "de", "ja")) -> dict:
    data = demo_data()
    data["study"]["languages"] = list(languages)
    data["translations"] = translations
    return data


def test_a_study_translation_replaces_the_shipped_one_for_that_language_only():
    data = with_translations({"de": {demo_data()["consent"]["text"]: CONSENT_DE}})
    definition = parse_study(data)
    assert definition.localized("de").consent_text == CONSENT_DE
    assert definition.localized("ja").consent_text == study_texts("ja")[definition.consent_text]
    assert definition.localized("en").consent_text == definition.consent_text


def test_a_custom_text_untranslated_until_the_study_file_gives_it():
    data = with_translations({}, languages=("en", "de"))
    data["study"]["title"] = "Our own shirt study"
    assert "Our own shirt study" in parse_study(data).untranslated("de")
    data["translations"] = {"de": {"Our own shirt study": "Unsere eigene Hemdenstudie"}}
    definition = parse_study(data)
    assert "Our own shirt study" not in definition.untranslated("de")
    assert definition.localized("de").title == "Unsere eigene Hemdenstudie"


def test_translations_survive_the_stored_round_trip_and_change_the_fingerprint():
    plain = parse_study(with_translations({}))
    data = with_translations({"de": {plain.title: "Ein ganz anderer Titel"}})
    definition = parse_study(data)
    stored = StudyDefinition.from_json(definition.to_json())
    assert stored.localized("de").title == "Ein ganz anderer Titel"
    assert stored.fingerprint() == definition.fingerprint() != plain.fingerprint()


@pytest.mark.parametrize("translations, key, fragment", [
    ({"fr": {"x": "y"}}, "translations.fr", "not one of the study's other languages"),
    ({"en": {"x": "y"}}, "translations.en", "not one of the study's other languages"),
    ({"de": "Hallo"}, "translations.de", "must be a table"),
    ({"de": {"Design your own dress shirt": ""}}, "translations.de.", "non-empty text"),
    ({"de": {"Design your own dress shirt": 3}}, "translations.de.", "non-empty text"),
    ({"de": {"Design your own dres shirt": "Hemd"}}, "translations.de", "did you mean 'Design your own dress shirt'"),
])
def test_bad_translations_are_refused_with_the_place_and_the_reason(translations, key, fragment):
    problems = problems_for(with_translations(translations))
    assert any(where.startswith(key) and fragment in message for where, message in problems), problems


def test_translations_for_a_language_the_study_does_not_offer_are_refused():
    problems = problems_for(with_translations({"ja": {"Design your own dress shirt": "シャツ"}}, languages=("en", "de")))
    assert problems == [("translations.ja", "'ja' is not one of the study's other languages ([study] languages); "
                                            "translations may be given for: de")]


def test_the_shipped_tables_are_not_changed_by_a_study_translation():
    before = copy.deepcopy(study_texts("de"))
    parse_study(with_translations({"de": {demo_data()["consent"]["text"]: CONSENT_DE}})).localized("de")
    assert study_texts("de") == before
    with pytest.raises(StudyFileError):
        parse_study(with_translations({"de": {"no such text": "x"}}))
