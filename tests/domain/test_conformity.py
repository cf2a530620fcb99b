"""Conformity as the share adopted and as a distance, computed by hand for small cases."""

from dataclasses import dataclass

from webapp.domain.conformity import conformity, is_adopted
from webapp.domain.design import Design


@dataclass
class S:
    attribute: str
    initial_level: str
    suggested_level: str


def test_adopted_means_final_equals_suggested_and_initial_did_not():
    assert is_adopted("kent", "spread", "spread")
    assert not is_adopted("kent", "spread", "kent")
    assert not is_adopted("kent", "spread", "wing")  # moved, but not to the suggestion
    assert not is_adopted("spread", "spread", "spread")  # nothing to adopt


def test_share_and_distance_for_two_of_three_adopted():
    initial = Design.default()
    final = initial.with_level("collar", "spread").with_level("colour", "navy").with_level("cuffs", "french")
    suggestions = [S("collar", "kent", "spread"), S("colour", "white", "navy"), S("cuffs", "one_button", "mitred")]
    result = conformity(initial, final, suggestions)
    assert (result.n_suggestions, result.n_adopted, result.distance) == (3, 2, 2)
    assert result.share == 2 / 3


def test_distance_counts_an_attribute_once_even_if_suggested_twice():
    initial = Design.default()
    final = initial.with_level("collar", "spread")
    suggestions = [S("collar", "kent", "spread"), S("collar", "kent", "spread")]
    result = conformity(initial, final, suggestions)
    assert result.n_adopted == 2 and result.distance == 1


def test_no_suggestions_has_no_share():
    assert conformity(Design.default(), Design.default(), []).share is None
