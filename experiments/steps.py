"""The participant flow, declared once: every step a study may list in `[flow] steps`.

Each :class:`Step` says what the step is called, where it lives (its URL path under
``/s/<slug>``), which page serves it (the same name picks the web view, the template and
the simulator's bot handler), how its answers are scored and exported, and where it may
stand in a study's order. The study-file validator, the participant routes, the bots, the
scorers, the export's item columns and the test walkers all read this list; nothing else
names the steps.

Pure: no Flask, no SQLAlchemy, so the validator and the simulator can import it alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Pages the web app and the bots know how to serve. A new questionnaire of Likert items
# uses "likert" and needs no code: only a declaration here and an instrument file.
PAGES = ("consent", "likert", "design", "review", "suggestions", "revise", "closeness", "evaluation", "checks",
         "demographics")
# How a step's answers feed the participant's scores (see webapp.journey.questionnaires.SCORERS).
SCORINGS = (None, "likert_mean", "mean", "attention_choices")
# Which item columns the export writes for a step's answers, in this order of groups.
ITEM_EXPORTS = ("likert_items", "closeness_items", "check_items")


@dataclass(frozen=True)
class Step:
    name: str  # as written in a study's `[flow] steps` and stored as the participant's step
    path: str  # under /s/<slug>: "" for the entry page, else "/kebab-case"
    page: str  # one of PAGES: which view, template and bot handler serve the step
    kind: str = "questionnaire"  # consent | questionnaire | editor | peer (for readers; routing uses page)
    template: str = ""  # participant/<template>; defaults to participant/<page>.html
    instrument: str = ""  # the default instrument file of a questionnaire block ([questionnaires.<name>])
    scoring: str | None = None  # one of SCORINGS
    score_field: str | None = None  # the participant attribute the score goes to (None: items only)
    export: str | None = None  # one of ITEM_EXPORTS, or None when the answers get no item columns
    label: str = ""  # how the codebook names the block, e.g. "thinking-style"
    default: bool = True  # part of the flow a study gets when it lists none
    required: bool = False  # every study must include it
    first: bool = False  # must open the flow
    after: tuple[str, ...] = ()  # steps that must come before this one when both are in the flow

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"step {self.name!r}: unknown page {self.page!r}; pages: {', '.join(PAGES)}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"step {self.name!r}: unknown scoring {self.scoring!r}")
        if self.export is not None and self.export not in ITEM_EXPORTS:
            raise ValueError(f"step {self.name!r}: unknown export {self.export!r}")
        if self.path and not (self.path.startswith("/") and "/" not in self.path[1:]):
            raise ValueError(f"step {self.name!r}: path {self.path!r} must be '' or '/one-segment'")

    @property
    def template_name(self) -> str:
        return f"participant/{self.template or self.page + '.html'}"

    @property
    def block_label(self) -> str:
        return self.label or self.path.strip("/") or self.name


_STEPS: dict[str, Step] = {}


def declare(step: Step) -> Step:
    """Add a step to the flow's vocabulary (its name and path must be new)."""
    if step.name in _STEPS:
        raise ValueError(f"step {step.name!r} is declared twice")
    if any(s.path == step.path for s in _STEPS.values()):
        raise ValueError(f"step {step.name!r}: path {step.path!r} is taken")
    _STEPS[step.name] = step
    return step


@contextmanager
def declared(step: Step) -> Iterator[Step]:
    """A step declared for the duration of a block (tests of the declaration mechanism)."""
    declare(step)
    try:
        yield step
    finally:
        _STEPS.pop(step.name, None)


def all_steps() -> tuple[Step, ...]:
    return tuple(_STEPS.values())


def get(name: str) -> Step:
    return _STEPS[name]


def by_path(path: str) -> Step | None:
    return next((s for s in _STEPS.values() if s.path == path), None)


def known() -> tuple[str, ...]:
    return tuple(_STEPS)


def default_flow() -> tuple[str, ...]:
    return tuple(s.name for s in _STEPS.values() if s.default)


def required() -> tuple[str, ...]:
    return tuple(s.name for s in _STEPS.values() if s.required)


def order_rules() -> tuple[tuple[str, str], ...]:
    """(before, after) pairs a study's flow must respect when both steps are in it."""
    return tuple((before, s.name) for s in _STEPS.values() for before in s.after)


# ---------------------------------------------------------------- the platform's steps
declare(Step("consent", "", "consent", kind="consent", required=True, first=True))
declare(Step("thinking_style", "/thinking-style", "likert", instrument="instruments/thinking_style.toml",
             scoring="likert_mean", score_field="holism", export="likert_items", label="thinking-style"))
declare(Step("design", "/design", "design", kind="editor", required=True))
declare(Step("review", "/review", "review", kind="peer", default=False, after=("design",)))
declare(Step("suggestions", "/suggestions", "suggestions", kind="peer", required=True,
             after=("design", "review")))
declare(Step("revise", "/revise", "revise", kind="editor", required=True, after=("suggestions",)))
declare(Step("closeness", "/closeness", "closeness", scoring="mean", score_field="closeness",
             export="closeness_items", after=("suggestions",)))
declare(Step("evaluation", "/evaluation", "evaluation", instrument="instruments/evaluation.toml",
             scoring="likert_mean", score_field="evaluation", export="likert_items", after=("revise",)))
declare(Step("checks", "/checks", "checks", instrument="instruments/checks.toml", scoring="attention_choices",
             export="check_items"))
declare(Step("demographics", "/demographics", "demographics", instrument="instruments/demographics.toml"))
