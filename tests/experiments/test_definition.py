"""Study files: every shipped file loads, and every mistake is reported with file, key and what is allowed."""

import tomllib

import pytest

from experiments.definition import (
    EXPERIMENTS_DIR,
    StudyDefinition,
    StudyFileError,
    load_study,
    parse_study,
    study_files,
)


def demo_data() -> dict:
    return tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())


def problems_for(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(StudyFileError) as caught:
        parse_study(data, source="study.toml")
    return caught.value.problems


@pytest.mark.parametrize("path", study_files(), ids=lambda p: p.name)
def test_every_shipped_study_file_loads_and_survives_a_json_round_trip(path):
    definition = load_study(path)
    assert StudyDefinition.from_json(definition.to_json()) == definition
    assert definition.cells and definition.flow[0] == "consent"


def test_the_paper_studies_cover_visibility_and_visibility_by_relation():
    slugs = {load_study(p).slug: load_study(p) for p in study_files()}
    assert {"demo", "visibility", "visibility-relation"} <= set(slugs)
    assert slugs["visibility"].visibilities == ("public", "private")
    assert set(slugs["visibility-relation"].relations) == {"friend", "stranger"}
    assert len(slugs["visibility-relation"].cells) == 4


def test_demo_thinking_style_covers_four_facets_with_reverse_items_and_an_attention_item():
    block = load_study(EXPERIMENTS_DIR / "demo.toml").thinking_style
    assert {i.facet for i in block.scored_items} == {"causality", "contradiction", "change", "attention"}
    assert any(i.reverse for i in block.items)
    assert any(i.attention is not None for i in block.items)


@pytest.mark.parametrize("mutate, key, fragment", [
    (lambda d: d["study"].update(slug="Bad Slug!"), "study.slug", "a–z"),
    (lambda d: d["suggestions"].update(count="three"), "suggestions.count", "whole number"),
    (lambda d: d["suggestions"].update(count=12), "suggestions.count", "between 1 and 10"),
    (lambda d: d["suggestions"].update(rule="magic"), "suggestions.rule", "'random', 'adjacent', 'preferred'"),
    (lambda d: d["suggestions"].update(attributes=["collar", "sleeves", "cuffs"]), "suggestions.attributes", "'sleeves' is not offered"),
    (lambda d: d["factors"].update(visibility=["public", "secret"]), "factors.visibility", "'secret' is not allowed"),
    (lambda d: d["factors"].update(relation=["enemy"]), "factors.relation", "'enemy' has no personas"),
    (lambda d: d["completion"].update(completed={"code": "X", "redirect": "http://example.org"}), "completion.completed.redirect", "https://"),
    (lambda d: d.update(flow={"steps": ["design", "consent", "suggestions", "revise"]}), "flow.steps", "must start with 'consent'"),
    (lambda d: d.update(flow={"steps": ["consent", "suggestions", "design", "revise"]}), "flow.steps", "'design' must come before 'suggestions'"),
    (lambda d: d.update(catalogue={"levels": {"collar": ["kent", "frilly"]}}), "catalogue", "'frilly'"),
    (lambda d: d.update(extras={}), "extras", "unknown section"),
    (lambda d: d["suggestions"].update(source="peer"), "flow.steps", "needs a 'review' step"),
])
def test_validation_names_the_key_the_bad_value_and_what_is_allowed(mutate, key, fragment):
    data = demo_data()
    mutate(data)
    problems = problems_for(data)
    assert any(k == key and fragment in message for k, message in problems), problems


def test_all_problems_of_a_file_are_reported_at_once_with_the_file_name(tmp_path):
    path = tmp_path / "broken.toml"
    text = (EXPERIMENTS_DIR / "demo.toml").read_text().replace('count = 3', 'count = 0').replace('rule = "random"', 'rule = "x"')
    path.write_text(text)
    with pytest.raises(StudyFileError) as caught:
        load_study(path)
    message = str(caught.value)
    assert f"{path}: suggestions.count" in message and f"{path}: suggestions.rule" in message


def test_a_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[study\nslug = 1")
    with pytest.raises(StudyFileError, match="bad.toml: \\(syntax\\)"):
        load_study(path)


def test_a_researcher_can_swap_in_another_instrument(tmp_path):
    (tmp_path / "my_scale.toml").write_text(
        'title = "Validated scale"\nscale = { min = 1, max = 5 }\n'
        '[[items]]\nkey = "v1"\ntext = "Item one"\n[[items]]\nkey = "v2"\ntext = "Item two"\nreverse = true\n')
    study = (EXPERIMENTS_DIR / "demo.toml").read_text() + '\n[questionnaires.thinking_style]\ninstrument = "my_scale.toml"\n'
    (tmp_path / "study.toml").write_text(study)
    definition = load_study(tmp_path / "study.toml")
    assert [i.key for i in definition.thinking_style.items] == ["v1", "v2"]
    assert definition.thinking_style.scale.max == 5


def test_suggestion_text_may_be_a_list_of_wordings_each_with_the_placeholder():
    data = demo_data()
    data["suggestions"]["text"] = ["How about {suggestion}?", "Try {suggestion}."]
    assert parse_study(data).suggestions.text == ("How about {suggestion}?", "Try {suggestion}.")
    data["suggestions"]["text"] = ["How about {suggestion}?", "No placeholder here"]
    assert any(k == "suggestions.text" for k, _ in problems_for(data))


@pytest.mark.parametrize("key", ["reviews_per_participant", "review_count"])
def test_a_review_count_setting_is_refused_since_each_participant_reviews_exactly_one_design(key):
    data = demo_data()
    data["suggestions"][key] = 3
    found = dict(problems_for(data))
    assert f"suggestions.{key}" in found
    if key == "reviews_per_participant":
        assert "exactly one" in found[f"suggestions.{key}"]


def test_a_stored_version_that_still_carries_review_count_loads_and_ignores_it():
    import json
    definition = load_study(EXPERIMENTS_DIR / "demo.toml")
    stored = json.loads(definition.to_json())
    stored["review_count"] = 1  # versions stored before the setting was dropped carry it
    restored = StudyDefinition.from_json(json.dumps(stored))
    assert restored == definition and not hasattr(restored, "review_count")
