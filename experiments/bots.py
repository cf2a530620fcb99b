"""Walk the participant pages over HTTP, like a browser without JavaScript would.

A ``Transport`` sends requests and follows redirects; there are two (experiments.transports):
``FlaskTransport`` (Flask's test client, in process) and ``UrlTransport`` (the standard library's
urllib with a cookie jar, against a running server). A ``PageReader`` (experiments.page_reader)
reads what a page offers. A ``Bot`` is one participant with its own
transport (its own cookies): it looks at the path it landed on after redirects and acts on
that page — answering with a :class:`~experiments.behaviour.SimulatedParticipant` — until
it reaches ``/done`` or a page it cannot get past (study full or closed, an error).

``Bot.steps()`` is a generator that yields after every request; it yields a number of
seconds when it has to wait (the page collecting peer suggestions), so a scheduler can run
many bots interleaved in one thread while some of them wait.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import steps
from .behaviour import SimulatedParticipant, answer_scale
from .page_reader import Form, PageReader, SimulationError, Suggestion
from .transports import SIMULATION_HEADER as SIMULATION_HEADER
from .transports import FlaskTransport as FlaskTransport
from .transports import Page, Transport
from .transports import UrlTransport as UrlTransport

MAX_REQUESTS = 400  # a participant needs about 20; more means the bot is going in circles


# ---------------------------------------------------------------- one participant
@dataclass
class BotResult:
    index: int
    outcome: str  # completed | attention_failed | timed_out | full | closed | duplicate | error
    visibility: str | None = None
    relation: str | None = None
    completion_code: str | None = None
    requests: int = 0
    error: str | None = None
    person: SimulatedParticipant | None = None

    @property
    def cell(self) -> str:
        return f"{self.visibility or '?'}/{self.relation or '?'}"


DONE_PATH = "/done"
# A Likert block whose score is a trait the simulation models is answered from that trait;
# any other declared Likert block gets answers around the scale's middle.
TRAIT_ANSWERS = {"holism": "thinking_style"}


def step_paths() -> dict[str, str]:
    """Path under /s/<slug> -> step name, from the declaration in experiments.steps (plus the end page)."""
    return {**{s.path: s.name for s in steps.all_steps()}, DONE_PATH: "done"}


class Bot:
    """One simulated participant walking a study through its pages."""

    def __init__(self, transport: Transport, slug: str, person: SimulatedParticipant, definition=None,
                 index: int = 0, max_wait: float = 600.0):
        self.t = transport
        self.slug = slug
        self.base = f"/s/{slug}"
        self.person = person
        self.definition = definition
        self.result = BotResult(index=index, outcome="error", person=person)
        self.max_wait = max_wait
        self.suggestions: list[Suggestion] = []
        self.page: Page | None = None
        self.step: steps.Step | None = None  # the declared step of the page being answered

    @property
    def current_page(self) -> Page:
        """The page being answered; the page handlers run only once the walk has fetched one."""
        if self.page is None:
            raise SimulationError("no page fetched yet")
        return self.page

    @property
    def current_step(self) -> steps.Step:
        """The declared step of the page being answered (set before a step's handler runs)."""
        if self.step is None:
            raise SimulationError("no declared step for this page")
        return self.step

    # public ---------------------------------------------------------
    def run(self, sleep=time.sleep) -> BotResult:
        """Walk the whole study now, sleeping whenever the bot has to wait."""
        for wait in self.steps():
            if wait:
                sleep(wait)
        return self.result

    def steps(self) -> Iterator[float]:
        try:
            yield from self._walk()
        except SimulationError as error:
            self.result.outcome = "error"
            self.result.error = str(error)
        finally:
            self.result.requests = self.t.requests

    # the walk ---------------------------------------------------------
    def _walk(self) -> Iterator[float]:
        self.page = self.t.get(self.base)
        yield 0.0
        waited = 0.0
        last_step, repeats = None, 0
        while True:
            if self.t.requests > MAX_REQUESTS:
                raise SimulationError(f"gave up after {self.t.requests} requests (last page {self.page.path})")
            page = self.page
            step = self._step_of(page)
            if step == "done":
                self._finish(page)
                return
            if page.status >= 400:
                reader = PageReader(page.text)
                if page.status == 409 and step == "consent":
                    self.result.outcome = "duplicate"
                    return
                raise SimulationError(f"{page.status} at {page.path}: {reader.h1 or page.text[:200]!r}")
            repeats = repeats + 1 if step == last_step else 0
            last_step = step
            declared = steps.get(step)
            if repeats > 5 and declared.page != "suggestions":  # the waiting page repeats by design
                raise SimulationError(f"stuck on {page.path} ({self._h1(page)!r})")
            self.step = declared
            handler = getattr(self, f"_on_{declared.page}")
            outcome = handler(PageReader(page.text))
            if outcome == "stop":
                return
            if isinstance(outcome, float):  # wait, then look again
                waited += outcome
                if waited > self.max_wait:
                    raise SimulationError(f"waited {waited:.0f}s at {page.path} without getting further")
                yield outcome
                self.page = self.t.get(page.path)
            yield 0.0

    def _step_of(self, page: Page) -> str:
        if not page.path.startswith(self.base):
            raise SimulationError(f"left the study: landed on {page.path}")
        rest = page.path[len(self.base):].rstrip("/")
        known = step_paths()
        if rest not in known:
            raise SimulationError(f"unknown page {page.path}")
        return known[rest]

    @staticmethod
    def _h1(page: Page) -> str:
        return PageReader(page.text).h1

    def _post(self, path: str, data: Mapping[str, Any], json_answer: bool = False) -> Page:
        headers = {"Accept": "application/json"} if json_answer else None
        return self.t.post(path, data, headers)

    def _submit(self, reader: PageReader, answers: Mapping[str, Any], button: str = "submit",
                form: Form | None = None) -> None:
        form = form or reader.main_form()
        data = {"csrf_token": form.fields.get("csrf_token") or reader.csrf or "", **answers}
        label = form.submits.get(button, "")
        data[button] = label or "1"
        self.page = self._post(form.action or self.current_page.path, data)

    # each page ----------------------------------------------------------
    def _on_consent(self, reader: PageReader):
        form = next((f for f in reader.forms if "nonce" in f.fields), None)
        if form is None:
            heading = reader.h1.lower()
            if "full" in heading:
                self.result.outcome = "full"
            elif "not taking participants" in heading:
                self.result.outcome = "closed"
            elif "already started" in heading:
                self.result.outcome = "duplicate"
            else:
                raise SimulationError(f"no consent form at {self.current_page.path} ({reader.h1!r})")
            return "stop"
        self._submit(reader, {"nonce": form.fields["nonce"]}, "agree", form)

    def _on_likert(self, reader: PageReader):
        form = reader.main_form()
        block = self.definition.likert_block(self.current_step.name) if self.definition else None
        if block is not None:
            items = [i for i in block.items if i.key in form.radios]
            low, high = block.scale.min, block.scale.max
        else:
            items = [_Item(name) for name in form.radios]
            low, high = _scale_of(form)
        trait = TRAIT_ANSWERS.get(self.current_step.score_field or "")
        if trait is not None:
            answers = getattr(self.person, trait)(items, low, high)
        else:
            rng = np.random.default_rng([self.person.seed, self.person.index, *self.current_step.name.encode()])
            answers, _ = answer_scale((low + high) / 2, items, low, high, rng, 1.0, self.person.attentive)
        self._submit(reader, answers, form=form)

    def _editor_state(self, form: Form) -> tuple[dict[str, list[str]], dict[str, str]]:
        levels = {name: values for name, values in form.radios.items()}
        return levels, {name: form.checked.get(name, values[0]) for name, values in levels.items()}

    def _on_design(self, reader: PageReader):
        form = reader.main_form()
        levels, current = self._editor_state(form)
        csrf = form.fields.get("csrf_token") or reader.csrf or ""
        for attribute, level in self.person.design_changes(levels, current):
            answer = self._post(f"{self.base}/design/change", {"csrf_token": csrf, "attribute": attribute,
                                                               "level": level}, json_answer=True)
            if answer.status != 200:
                raise SimulationError(f"live change {attribute}={level} refused: {answer.status} {answer.text[:200]}")
            current[attribute] = level
        data = dict(current)
        if "monogram" in form.fields:
            monogram = self.person.monogram()
            data["monogram"] = form.fields["monogram"] if monogram is None else monogram
        self._submit(reader, data, form=form)

    def _on_review(self, reader: PageReader):
        form = reader.main_form()
        options = [v for v in form.selects.get("suggestion", []) if v]
        if not options:
            if "skip" in form.submits:
                self._submit(reader, {}, "skip", form)
                return
            raise SimulationError("review page with neither suggestions to choose nor a skip button")
        data = {"suggestion": self.person.review_choice(options)}
        comment = self.person.review_comment() if "comment" in form.fields else None
        if comment:
            data["comment"] = comment
        self._submit(reader, data, form=form)

    def _on_suggestions(self, reader: PageReader):
        if reader.refresh is not None and not reader.suggestions:  # waiting for peers
            return max(0.05, float(reader.refresh))
        self.suggestions = reader.suggestions
        self.result.visibility = reader.visibility or self.result.visibility
        self._submit(reader, {})

    def _on_revise(self, reader: PageReader):
        suggestions = reader.suggestions or self.suggestions
        if not suggestions:
            raise SimulationError("revise page without suggestions")
        public = self._public(reader)
        form = reader.main_form()
        levels, current = self._editor_state(form)
        csrf = reader.csrf or ""
        decisions = self.person.decide(len(suggestions), public)
        for suggestion, adopt in zip(suggestions, decisions):
            answer = self._post(f"{self.base}/revise/suggestions/{suggestion.id}",
                                {"csrf_token": csrf, "decision": "adopt" if adopt else "reject"}, json_answer=True)
            if answer.status != 200:
                raise SimulationError(f"decision on suggestion {suggestion.id} refused: {answer.status} "
                                      f"{answer.text[:200]}")
            current.update(answer.json().get("design", {}))
        suggested = {s.attribute for s in suggestions}
        for attribute, level in self.person.design_changes(levels, current, self.person.params.revise_edits,
                                                           exclude=suggested):
            current[attribute] = level
        data = dict(current)
        if "monogram" in form.fields:
            data["monogram"] = form.fields["monogram"]
        self._submit(reader, data, form=form)

    def _public(self, reader: PageReader) -> bool:
        if self.result.visibility is None:
            if reader.visibility:
                self.result.visibility = reader.visibility
            elif re.search(r"public gallery", self.current_page.text):
                self.result.visibility = "public"
            else:
                self.result.visibility = "private"
        return self.result.visibility == "public"

    def _relation_of(self, keys: list[str]) -> str | None:
        if self.definition is None:
            return None
        for relation, people in self.definition.personas.items():
            if {p.key for p in people} >= set(keys):
                return relation
        return None

    def _on_closeness(self, reader: PageReader):
        form = reader.main_form()
        names = [n for n in form.radios if n.startswith("ios_")]
        relation = self._relation_of([n[len("ios_"):] for n in names])
        if relation is None:
            text = " ".join(reader.legends.get(n, "") for n in names).lower()
            relation = "friend" if "friend" in text else "stranger"
        self.result.relation = relation
        self._submit(reader, self.person.closeness_answers(names, relation), form=form)

    def _on_evaluation(self, reader: PageReader):
        form = reader.main_form()
        if self.definition is not None:
            block = self.definition.evaluation
            items = [i for i in block.items if i.key in form.radios]
            low, high = block.scale.min, block.scale.max
            wtp_range = (self.definition.wtp.min, self.definition.wtp.max)
        else:
            items = [_Item(name, reverse="regret" in name) for name in form.radios]
            low, high = _scale_of(form)
            wtp_range = (0.0, 500.0)
        answers: dict[str, int | str] = dict(self.person.evaluation_answers(items, low, high))
        if "wtp" in form.fields:
            answers["wtp"] = f"{self.person.wtp(*wtp_range):.2f}"
        self._submit(reader, answers, form=form)

    def _on_checks(self, reader: PageReader):
        form = reader.main_form()
        checks = self.definition.checks if self.definition else None
        expected = {c.key: c.expected for c in checks.attention} if checks else {}
        answers: dict[str, Any] = {}
        for name, values in form.radios.items():
            if checks is not None and name == checks.manipulation_key:
                scale = checks.manipulation_scale
                answers[name] = self.person.manipulation_answer(self._visibility_known(), scale.min, scale.max)
            elif name in expected:
                answers[name] = self.person.choice_answer(values, expected[name])
            elif all(v.lstrip("-").isdigit() for v in values):
                answers[name] = self.person.manipulation_answer(self._visibility_known(), int(values[0]),
                                                                int(values[-1]))
            else:  # an attention choice without a known answer: the option the question quotes
                quoted = [v for v in values if f'"{v}"' in reader.legends.get(name, "")]
                answers[name] = self.person.choice_answer(values, quoted[0] if quoted else None)
        self._submit(reader, answers, form=form)

    def _visibility_known(self) -> bool | None:
        return None if self.result.visibility is None else self.result.visibility == "public"

    def _on_demographics(self, reader: PageReader):
        form = reader.main_form()
        genders = [v for v in form.selects.get("gender", []) if v]
        age = (18, 100)
        if self.definition is not None:
            age = (self.definition.demographics.age_min, self.definition.demographics.age_max)
        answers = self.person.demographics(age, genders)
        if "gender" not in form.selects:
            answers.pop("gender", None)
        self._submit(reader, answers, form=form)

    def _finish(self, page: Page) -> None:
        reader = PageReader(page.text)
        self.result.completion_code = reader.completion_code
        heading = reader.h1.lower()
        if "time is up" in heading:
            self.result.outcome = "timed_out"
        elif self.person.attentive:
            self.result.outcome = "completed"
        else:
            self.result.outcome = "attention_failed"
        if self.definition is not None and reader.completion_code:
            for name, outcome in self.definition.outcomes.items():
                if outcome.code and outcome.code == reader.completion_code:
                    self.result.outcome = name
                    break


@dataclass(frozen=True)
class _Item:
    key: str
    reverse: bool = False
    attention: int | None = None


def _scale_of(form: Form) -> tuple[int, int]:
    values = [int(v) for vs in form.radios.values() for v in vs if v.lstrip("-").isdigit()]
    return (min(values), max(values)) if values else (1, 7)
