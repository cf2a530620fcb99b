"""Conformity: how far the final design moved to what peers suggested."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .design import Design


class SuggestionLike(Protocol):
    attribute: str
    initial_level: str
    suggested_level: str


def is_adopted(initial_level: str, suggested_level: str, final_level: str) -> bool:
    """Adopted: the final level is the suggested one, and the initial one was not."""
    return final_level == suggested_level and initial_level != suggested_level


@dataclass(frozen=True)
class Conformity:
    n_suggestions: int
    n_adopted: int
    distance: int

    @property
    def share(self) -> float | None:
        """The share of suggestions adopted (None when there were no suggestions)."""
        return self.n_adopted / self.n_suggestions if self.n_suggestions else None


def conformity(initial: Design, final: Design, suggestions: Iterable[SuggestionLike]) -> Conformity:
    """Share adopted, and distance = attributes moved to a suggested level.

    The distance counts each attribute once even if two suggestions proposed the same
    level for it, so it measures movement of the design, not of the suggestion list.
    """
    suggestions = list(suggestions)
    adopted = [s for s in suggestions if is_adopted(s.initial_level, s.suggested_level, final[s.attribute])]
    moved = {s.attribute for s in suggestions
             if final[s.attribute] == s.suggested_level and initial[s.attribute] != s.suggested_level}
    return Conformity(len(suggestions), len(adopted), len(moved))
