"""Questionnaire scoring: reverse-coding, scale means and attention checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean


@dataclass(frozen=True)
class ScoredItem:
    key: str
    reverse: bool = False
    attention: int | None = None


def reverse_code(value: float, low: int, high: int) -> float:
    """Mirror an answer on its scale: on 1–7, 1 becomes 7 and 3 becomes 5."""
    return low + high - value


def scale_mean(answers: Mapping[str, float], items: Sequence[ScoredItem], low: int = 1, high: int = 7) -> float:
    """The mean of the scored items after reverse-coding; attention items are left out.

    Raises KeyError if a scored item is unanswered: a scale score is only defined on a
    complete block, and the form makes every scored item required.
    """
    values = [reverse_code(answers[i.key], low, high) if i.reverse else answers[i.key]
              for i in items if i.attention is None]
    if not values:
        raise ValueError("no scored items")
    return fmean(values)


def attention_passed(answers: Mapping[str, object], expected: Mapping[str, object]) -> bool:
    """Every attention item answered exactly as instructed."""
    return all(answers.get(key) == value for key, value in expected.items())
