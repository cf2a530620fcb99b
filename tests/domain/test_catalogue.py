"""The shirt catalogue: enough realistic levels, restrictable by a study, strict about input."""

import pytest

from webapp.domain.catalogue import CatalogueError, DesignError, monogram_letters, shirt_catalogue


def test_catalogue_offers_the_attributes_and_level_counts_the_studies_need():
    catalogue = shirt_catalogue()
    for key in ("fit", "collar", "cuffs", "placket", "back", "pocket", "hem", "colour", "pattern", "buttons", "lining"):
        assert key in catalogue
    counts = {a.key: len(a.levels) for a in catalogue.attributes}
    assert counts["collar"] >= 6 and counts["cuffs"] >= 5 and counts["colour"] >= 12
    assert {"solid", "pinstripe", "gingham"} <= set(catalogue.attribute("pattern").level_keys)
    assert catalogue.monogram_max_length == 3


def test_every_level_has_a_hand_written_phrase_for_suggestions():
    for attribute in shirt_catalogue().attributes:
        for level in attribute.levels:
            assert level.phrase and "(" not in level.phrase, (attribute.key, level.key)
            assert level.phrase == level.phrase.strip() and not level.phrase[0].isupper() or level.phrase.split()[0] in ("Bengal", "French")
    assert shirt_catalogue().attribute("collar").describe("button_down") == "a button-down collar"
    assert shirt_catalogue().attribute("cuffs").describe("short_sleeve") == "short sleeves"


def test_every_colour_level_has_a_hex_colour():
    for level in shirt_catalogue().attribute("colour").levels:
        assert level.rgb and level.rgb.startswith("#") and len(level.rgb) == 7


def test_restrict_drops_attributes_and_keeps_only_allowed_levels_in_the_given_order():
    restricted = shirt_catalogue().restrict(exclude=["lining"], levels={"collar": ["spread", "kent"]})
    assert "lining" not in restricted
    assert restricted.attribute("collar").level_keys == ("spread", "kent")
    assert restricted.default_choices()["collar"] == "spread"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"exclude": ["sleeves"]}, "unknown attribute 'sleeves'"),
    ({"levels": {"collar": ["kent", "ruffled"]}}, "unknown level(s) 'ruffled'"),
    ({"levels": {"collar": []}}, "at least one level"),
])
def test_restrict_names_what_is_wrong(kwargs, fragment):
    with pytest.raises(CatalogueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        shirt_catalogue().restrict(**kwargs)


@pytest.mark.parametrize("raw, cleaned", [
    ("jd", "JD"), (" a b ", "AB"), ("ＪＤＫ", "JDK"), ("", ""), (None, ""),
])
def test_monogram_is_normalised_to_latin_capitals(raw, cleaned):
    assert shirt_catalogue().clean_monogram(raw) == cleaned


@pytest.mark.parametrize("raw, fragment", [
    ("ABCD", "at most 3"), ("É", "only the letters"), ("J\u200bD", "only the letters"),
    ("😀", "only the letters"), ("A1", "only the letters"), ("<b>", "only the letters"), ("<script>", "at most 3"),
])
def test_monogram_rejects_odd_unicode_and_long_input(raw, fragment):
    with pytest.raises(DesignError, match=fragment) as caught:
        shirt_catalogue().clean_monogram(raw)
    assert caught.value.field == "monogram"


def test_a_study_without_monogram_refuses_one():
    catalogue = shirt_catalogue().restrict(monogram=False)
    assert catalogue.clean_monogram("") == ""
    with pytest.raises(DesignError, match="does not offer"):
        catalogue.clean_monogram("AB")


def _catalogue_for(*languages):
    return shirt_catalogue().with_monogram_letters(monogram_letters(languages))


@pytest.mark.parametrize("raw, cleaned", [("jö", "JÖ"), ("Ü", "Ü"), ("o\u0308a", "ÖA"), ("äöü", "ÄÖÜ")])
def test_a_german_study_accepts_umlauts_in_monograms(raw, cleaned):
    assert _catalogue_for("en", "de").clean_monogram(raw) == cleaned


@pytest.mark.parametrize("languages", [("en",), ("ja",), ("en", "ja")])
def test_studies_without_german_refuse_umlauts_and_name_the_letters_they_take(languages):
    with pytest.raises(DesignError, match="only the letters A–Z") as caught:
        _catalogue_for(*languages).clean_monogram("JÖ")
    assert caught.value.params == {"letters": "A–Z"}


@pytest.mark.parametrize("raw", ["あ", "山田", "É", "ẞ", "Ÿ"])
def test_even_a_german_and_japanese_study_refuses_letters_the_renderer_cannot_embroider(raw):
    catalogue = _catalogue_for("de", "ja")
    with pytest.raises(DesignError, match="only the letters A–Z, Ä, Ö, Ü"):
        catalogue.clean_monogram(raw)


def test_the_accepted_letters_survive_restriction_and_translation():
    catalogue = _catalogue_for("de").restrict(exclude=["pattern"]).translated(str.upper)
    assert catalogue.clean_monogram("ö") == "Ö"
    assert catalogue.monogram_letters_shown == "A–Z, Ä, Ö, Ü"
