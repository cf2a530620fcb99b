"""[persona_pool]: the names suggestions seem to come from, set by the study file and checked like every section."""

import tomllib

import pytest

from experiments.definition import EXPERIMENTS_DIR, StudyDefinition, StudyFileError, parse_study


def demo_data(**pool) -> dict:
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data.pop("persona_pool", None)
    if pool:
        data["persona_pool"] = pool
    return data


def problems_for(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(StudyFileError) as caught:
        parse_study(data, source="study.toml")
    return caught.value.problems


TWELVE = [f"Name{n}" for n in range(12)]


def test_without_the_section_the_built_in_pool_applies_and_the_fingerprint_is_unchanged():
    plain = parse_study(demo_data())
    assert plain.persona_pool == {} and plain.pool_in("de") == ()
    assert "persona_pool" not in plain.to_json()


def test_one_list_serves_every_language_and_avatars_are_handed_out_in_turn():
    definition = parse_study(demo_data(names=TWELVE, avatars=["fox", "owl"]))
    assert set(definition.persona_pool) == set(definition.languages)
    assert definition.pool_in("ja")[:3] == (("Name0", "fox"), ("Name1", "owl"), ("Name2", "fox"))


def test_lists_per_language_and_a_missing_language_uses_the_first():
    data = demo_data(names={"en": TWELVE, "ja": ["ユウキ", "ハルカ", "ソウタ"]})
    definition = parse_study(data)
    assert [name for name, _ in definition.pool_in("ja")] == ["ユウキ", "ハルカ", "ソウタ"]
    assert definition.pool_in("de") == definition.pool_in("en")
    assert StudyDefinition.from_json(definition.to_json()) == definition


def test_the_shipped_demo_sets_a_pool_of_a_dozen_or_more_names_per_language():
    definition = parse_study(tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text()), base=EXPERIMENTS_DIR)
    for language in definition.languages:
        names = [name for name, _ in definition.pool_in(language)]
        assert len(set(names)) == len(names) >= 12


@pytest.mark.parametrize("pool, key, fragment", [
    ({"names": ["Ann", " ", *TWELVE]}, "persona_pool.names[1]", "is empty"),
    ({"names": ["Ann", "ann", *TWELVE]}, "persona_pool.names[1]", "listed twice (first at [0])"),
    ({"names": ["x" * 61, *TWELVE]}, "persona_pool.names[0]", "61 characters long; at most 60"),
    ({"names": ["Ann", 7, *TWELVE]}, "persona_pool.names[1]", "must be text"),
    ({"names": ["Ann", "Bo"]}, "persona_pool.names", "2 usable name(s); at least 3 are needed"),
    ({"names": []}, "persona_pool.names", "0 usable name(s)"),
    ({"names": {"en": TWELVE, "fr": TWELVE}}, "persona_pool.names.fr", "not a language the platform speaks"),
    ({"names": {"de": TWELVE}}, "persona_pool.names", "needs a list for 'en'"),
    ({"names": "Ann, Bo, Cy"}, "persona_pool.names", "must be a list of names or a table"),
    ({"avatars": ["fox"]}, "persona_pool.names", "is required"),
    ({"names": TWELVE, "avatars": ["owll"]}, "persona_pool.avatars", "did you mean 'owl'?"),
    ({"names": TWELVE, "avatar": ["owl"]}, "persona_pool.avatar", "did you mean 'avatars'?"),
])
def test_a_bad_pool_is_reported_with_its_key_and_what_to_do(pool, key, fragment):
    found = problems_for(demo_data(**pool))
    assert any(k == key and fragment in message for k, message in found), found


def test_a_pool_smaller_than_the_largest_relation_names_the_need():
    data = demo_data(names=["Ann", "Bo", "Cy"])
    parse_study(data)  # three personas, three names: enough
    data["personas"]["friend"].append({"key": "lee", "name": "Lee", "avatar": "fox", "relation_label": "your friend"})
    assert any("at least 4 are needed" in message for _, message in problems_for(data))


def test_a_study_without_wordings_gets_several_each_translated():
    from experiments.definition import study_texts
    data = demo_data()
    del data["suggestions"]["text"]
    wordings = parse_study(data).suggestions.text
    assert len(wordings) >= 4 and len({w.split()[0] for w in wordings}) >= 4  # not every comment opens alike
    for language in ("de", "ja"):
        assert all(w in study_texts(language) for w in wordings)


def test_a_list_for_a_language_the_study_does_not_offer_is_kept_out_without_complaint():
    data = demo_data(names={"en": TWELVE, "ja": ["ユウキ", "ハルカ", "ソウタ"]})
    data["study"]["languages"] = ["en", "de"]
    definition = parse_study(data)
    assert set(definition.persona_pool) == {"en"} and definition.pool_in("ja") == definition.pool_in("en")
