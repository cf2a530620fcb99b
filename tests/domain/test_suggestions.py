"""Scripted suggestions: distinct attributes, a real change each, reproducible from the seeds."""

import random

import pytest

from webapp.domain.catalogue import shirt_catalogue
from webapp.domain.design import Design
from webapp.domain.suggestions import choose_level, generate_suggestions

ATTRIBUTES = ["collar", "cuffs", "pocket", "colour", "pattern", "buttons"]


def generate(initial=None, **overrides):
    settings = dict(count=3, attributes=ATTRIBUTES, rule="random", personas=["sam", "robin", "kim"],
                    study_seed=7, participant_seed=11)
    settings.update(overrides)
    return generate_suggestions(initial or Design.default(), shirt_catalogue(), **settings)


def test_each_suggestion_proposes_a_level_different_from_the_initial_one_on_distinct_attributes():
    initial = Design.default().with_level("collar", "spread")
    for participant_seed in range(50):
        suggestions = generate(initial, participant_seed=participant_seed)
        assert len(suggestions) == 3
        assert len({s.attribute for s in suggestions}) == 3
        for s in suggestions:
            assert s.attribute in ATTRIBUTES
            assert s.initial_level == initial[s.attribute]
            assert s.suggested_level != s.initial_level
            assert s.suggested_level in shirt_catalogue().attribute(s.attribute).level_keys


def test_same_seeds_give_the_same_suggestions_and_other_seeds_differ():
    assert generate() == generate()
    draws = {tuple((s.attribute, s.suggested_level) for s in generate(participant_seed=n)) for n in range(30)}
    assert len(draws) > 10


def test_suggestions_come_from_each_persona_in_turn_and_read_naturally():
    suggestions = generate()
    assert sorted(s.persona_key for s in suggestions) == ["kim", "robin", "sam"]
    for s in suggestions:
        assert s.text.startswith("Nice shirt! How about ") and s.text.endswith("?")
        assert shirt_catalogue().attribute(s.attribute).describe(s.suggested_level) in s.text


def test_adjacent_rule_takes_the_next_level_and_wraps_around():
    levels = ("a", "b", "c")
    rng = random.Random(0)
    assert choose_level(levels, "a", "adjacent", rng) == "b"
    assert choose_level(levels, "c", "adjacent", rng) == "a"


def test_preferred_rule_takes_the_first_preferred_level_that_differs():
    rng = random.Random(0)
    assert choose_level(("a", "b", "c"), "b", "preferred", rng, preferred=("b", "c")) == "c"


def test_asking_for_more_suggestions_than_attributes_is_an_error():
    with pytest.raises(ValueError, match="need 4"):
        generate(count=4, attributes=["collar", "cuffs", "pocket"])


def test_several_wordings_vary_the_text_but_not_what_is_suggested():
    wordings = ["Nice shirt! How about {suggestion}?", "Maybe try {suggestion}?", "I would go for {suggestion}."]
    used = set()
    for participant_seed in range(40):
        plain = generate(participant_seed=participant_seed)
        varied = generate(participant_seed=participant_seed, template=wordings)
        assert [(s.attribute, s.suggested_level, s.persona_key) for s in plain] == \
               [(s.attribute, s.suggested_level, s.persona_key) for s in varied]
        for s in varied:
            used.update(w for w in wordings if s.text.startswith(w.split("{")[0]))
    assert used == set(wordings)
