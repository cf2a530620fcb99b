"""Scale scores: reverse-coding on the item's scale, attention items left out."""

import pytest

from webapp.domain.scoring import ScoredItem, attention_passed, reverse_code, scale_mean


def test_reverse_code_mirrors_on_the_scale():
    assert [reverse_code(v, 1, 7) for v in (1, 3, 4, 7)] == [7, 5, 4, 1]
    assert reverse_code(2, 0, 10) == 8


def test_scale_mean_reverse_codes_flagged_items_and_ignores_attention_items():
    items = [ScoredItem("a"), ScoredItem("b", reverse=True), ScoredItem("c"), ScoredItem("check", attention=2)]
    answers = {"a": 6, "b": 2, "c": 5, "check": 2}
    assert scale_mean(answers, items) == pytest.approx((6 + 6 + 5) / 3)


def test_scale_mean_needs_every_scored_item():
    with pytest.raises(KeyError):
        scale_mean({"a": 6}, [ScoredItem("a"), ScoredItem("b")])


def test_attention_passes_only_when_every_check_is_answered_as_instructed():
    assert attention_passed({"x": 2, "y": "Orange"}, {"x": 2, "y": "Orange"})
    assert not attention_passed({"x": 3, "y": "Orange"}, {"x": 2, "y": "Orange"})
    assert not attention_passed({}, {"x": 2})
