"""The parts a study definition is made of: its value types, the error a bad file raises, and the
vocabulary (factors, rules, outcomes, steps) a study file may use.

Plain frozen data with no behaviour of its own, so every other module of the package can import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import steps

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent  # experiments/: shipped studies, instruments and texts

VISIBILITIES = ("public", "private")
RULES = ("random", "adjacent", "preferred")
SOURCES = ("scripted", "peer", "mix")
OUTCOMES = ("completed", "declined", "attention_failed", "timed_out", "full", "duplicate")
# Suggestion wordings when a study sets none: several, so the gallery's comments do not all open alike
# (the shipped studies' wordings, translated in experiments/texts).
DEFAULT_WORDINGS = (
    "Nice shirt! How about {suggestion}?",
    "Looks good. Maybe try {suggestion}?",
    "I like it. What about {suggestion}?",
    "Good start; I would go for {suggestion}.",
    "How about {suggestion}?",
    "Not bad! Maybe {suggestion} would suit it.",
)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# The step vocabulary comes from experiments.steps; these names stay for readers of the module.
STEPS_REQUIRED = steps.required()
STEPS_KNOWN = steps.known()
DEFAULT_FLOW = steps.default_flow()


class StudyFileError(ValueError):
    """A study file is invalid; `problems` lists every (key, message) found."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- value types
@dataclass(frozen=True)
class Scale:
    min: int = 1
    max: int = 7
    low: str = "Strongly disagree"
    high: str = "Strongly agree"


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    facet: str = ""
    reverse: bool = False
    attention: int | None = None  # instructed response: the one correct answer


@dataclass(frozen=True)
class LikertBlock:
    title: str
    intro: str
    scale: Scale
    items: tuple[Item, ...]

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.attention is None)


@dataclass(frozen=True)
class Wtp:
    key: str
    text: str
    currency: str
    min: float
    max: float


@dataclass(frozen=True)
class ChoiceCheck:
    key: str
    text: str
    options: tuple[str, ...]
    expected: str


@dataclass(frozen=True)
class Checks:
    title: str
    manipulation_key: str
    manipulation_text: str
    manipulation_scale: Scale
    attention: tuple[ChoiceCheck, ...]


@dataclass(frozen=True)
class Demographics:
    title: str
    intro: str
    age_text: str
    age_min: int
    age_max: int
    gender_text: str
    gender_options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    avatar: str
    relation_label: str


@dataclass(frozen=True)
class Cell:
    visibility: str
    relation: str
    target_n: int

    @property
    def key(self) -> str:
        return f"{self.visibility}/{self.relation}"


@dataclass(frozen=True)
class SuggestionPlan:
    count: int
    attributes: tuple[str, ...]
    rule: str
    preferred: dict[str, tuple[str, ...]]
    text: tuple[str, ...]  # one or more wordings; each suggestion uses one, drawn per participant
    texts: dict[str, str]
    source: str
    peer_wait_seconds: int
    peer_share: float
    comment_max_length: int


@dataclass(frozen=True)
class Outcome:
    code: str
    redirect_url: str
