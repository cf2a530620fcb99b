"""How a simulated participant behaves: a small generative model with planted effects.

Pure Python and numpy (no Flask), so it can be tested on its own and reused by any driver.
Each participant gets a seeded numpy ``Generator`` derived from ``(seed, index)``; independent
child streams are used for traits, design edits, suggestion decisions and answers, so the
same seed reproduces the same person, and changing one effect size (e.g. setting ``h1`` to 0)
keeps every other random draw unchanged (common random numbers).

The model, and why its planted values are OLS coefficients of the analysis:

* Holism ``h ~ Normal(holism_mean, holism_sd)`` clipped to [1, 7]. The thinking-style
  answers are integers chosen so that the *scored* mean (after reverse-coding) is the
  target rounded to the 1/k grid of k scored items. Every later step uses this scored
  value, i.e. the number the export will carry, so there is no errors-in-variables bias.

* H1, adoption. Each suggestion is adopted independently with the linear probability

      p = adopt_base + adopt_public*public + adopt_holism*(h-4) + h1*public*(h-4)

  clipped to [0.02, 0.98]. Conformity (share adopted of n suggestions) is then a binomial
  share with E[conformity | public, h] = p. The analysis fits the *uncentred*
  ``conformity ~ public * holism``; expanding the product,

      p = (adopt_base - 4*adopt_holism) + (adopt_public - 4*h1)*public
          + adopt_holism*holism + h1*public*holism,

  so the ``public:holism`` coefficient is ``h1`` whether or not holism is centred (only the
  lower-order terms move). This holds exactly while the clip never binds, which the
  defaults guarantee for every h in [1, 7] (see ``BehaviourParams.adoption_range``).
  Adoption rises with holism in public (slope adopt_holism + h1 > 0) and falls in private
  (slope adopt_holism < 0) with the defaults.

* Closeness (IOS, 1–7) to each suggester: ``Normal(closeness_<relation>, closeness_sd)``
  clipped to [1, 7], answered as integers whose mean is as close as possible to it.

* H2, evaluation. The latent evaluation

      e = eval_intercept + eval_conformity*c + eval_closeness*(k-4) + h2*c*(k-4) + noise

  (c = conformity, k = scored closeness) is clipped to [eval_min, eval_max] (1.5–6.5) and
  answered on the evaluation items so that the scored mean is e on the 1/m grid. In
  ``evaluation ~ conformity * closeness`` the product coefficient is ``h2``, again
  independent of centring; the clip binds only in the far tails with the defaults.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Protocol

import numpy as np


class ItemLike(Protocol):
    key: str
    reverse: bool
    attention: int | None


@dataclass(frozen=True)
class BehaviourParams:
    """Every parameter of the behaviour model; each is a command-line option of the simulator."""

    # thinking style
    holism_mean: float = 4.0
    holism_sd: float = 1.2
    # H1: linear probability of adopting each suggestion (see module docstring)
    adopt_base: float = 0.45
    adopt_public: float = 0.05
    adopt_holism: float = -0.06
    h1: float = 0.12
    # closeness (IOS 1-7) by the suggesters' relation to the participant
    closeness_friend: float = 5.0
    closeness_stranger: float = 3.0
    closeness_sd: float = 1.0
    # H2: evaluation of the final shirt
    eval_intercept: float = 4.5
    eval_conformity: float = -0.5
    eval_closeness: float = 0.2
    h2: float = 0.5
    eval_noise_sd: float = 0.5
    eval_min: float = 1.5
    eval_max: float = 6.5
    # data quality and incidental behaviour
    attention_fail_rate: float = 0.0
    design_edits: float = 2.0  # mean number of free attribute changes before the first submit
    revise_edits: float = 0.5  # mean free changes to attributes nobody suggested, while revising
    monogram_rate: float = 0.2
    item_spread: float = 1.0  # mean number of +1/-1 item pairs (keeps every scored mean unchanged)
    wtp_median: float = 40.0

    def __post_init__(self):
        problems = []
        if self.holism_sd < 0 or self.closeness_sd < 0 or self.eval_noise_sd < 0:
            problems.append("standard deviations must not be negative")
        for name in ("attention_fail_rate", "monogram_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must lie between 0 and 1")
        for name in ("design_edits", "revise_edits", "item_spread"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if self.wtp_median <= 0:
            problems.append("wtp_median must be positive")
        if not self.eval_min < self.eval_max:
            problems.append("eval_min must be below eval_max")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def option_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def to_dict(self) -> dict:
        return asdict(self)

    def adoption_probability(self, public: bool, holism: float) -> float:
        h = float(holism) - 4.0
        pub = 1.0 if public else 0.0
        p = self.adopt_base + self.adopt_public * pub + self.adopt_holism * h + self.h1 * pub * h
        return float(min(0.98, max(0.02, p)))

    def adoption_range(self) -> tuple[float, float]:
        """Smallest and largest unclipped adoption probability over holism in [1, 7] and both conditions."""
        values = [self.adopt_base + self.adopt_public * pub + (self.adopt_holism + self.h1 * pub) * h
                  for pub in (0, 1) for h in (-3.0, 3.0)]
        return min(values), max(values)

    def closeness_mean(self, relation: str) -> float:
        return {"friend": self.closeness_friend, "stranger": self.closeness_stranger}.get(
            relation, (self.closeness_friend + self.closeness_stranger) / 2)

    def evaluation_mean(self, conformity: float, closeness: float) -> float:
        k = float(closeness) - 4.0
        return (self.eval_intercept + self.eval_conformity * conformity + self.eval_closeness * k
                + self.h2 * conformity * k)


def participant_seed(seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(seed) >> 32, int(index)])


# ---------------------------------------------------------------- answering scales
def integer_answers(target: float, n: int, low: int, high: int, rng: np.random.Generator,
                    spread: float = 0.0) -> list[int]:
    """n integers in [low, high] whose mean is ``target`` rounded to the 1/n grid.

    The remainder goes to randomly chosen items; then a few +1/-1 pairs (Poisson(spread))
    make the answers less uniform without moving their sum.
    """
    if n <= 0:
        return []
    target = min(float(high), max(float(low), float(target)))
    total = int(math.floor(target * n + 0.5))
    total = min(high * n, max(low * n, total))
    base, extra = divmod(total, n)
    values = [base] * n
    for i in rng.permutation(n)[:extra]:
        values[int(i)] += 1
    pairs = int(rng.poisson(spread)) if spread > 0 and n > 1 else 0
    for _ in range(pairs):
        up, down = (int(i) for i in rng.choice(n, size=2, replace=False))
        if values[up] < high and values[down] > low:
            values[up] += 1
            values[down] -= 1
    return values


def answer_scale(target: float, items: Sequence[ItemLike], low: int, high: int, rng: np.random.Generator,
                 spread: float = 0.0, attentive: bool = True) -> tuple[dict[str, int], float]:
    """Answers to a Likert block so its scored mean is the target on the 1/k grid.

    Reverse-coded items get the mirrored answer; attention (instructed-response) items get
    their instructed value, or a different one when ``attentive`` is False.
    Returns the answers and the scored mean exactly as the server computes it.
    """
    scored = [i for i in items if i.attention is None]
    values = integer_answers(target, len(scored), low, high, rng, spread)
    answers: dict[str, int] = {}
    for item, value in zip(scored, values):
        answers[item.key] = (low + high - value) if item.reverse else value
    for item in items:
        if item.attention is not None:
            if attentive:
                answers[item.key] = int(item.attention)
            else:
                wrong = [v for v in range(low, high + 1) if v != item.attention]
                answers[item.key] = int(rng.choice(wrong))
    mean = sum(values) / len(values) if values else float("nan")
    return answers, mean


# ---------------------------------------------------------------- one simulated person
@dataclass
class SimulatedParticipant:
    """One person: traits drawn at creation, then answers and choices asked for step by step."""

    params: BehaviourParams
    seed: int
    index: int
    holism_target: float = field(init=False)
    attentive: bool = field(init=False)
    holism: float | None = field(default=None, init=False)  # scored, as the server will store it
    closeness: float | None = field(default=None, init=False)
    conformity: float | None = field(default=None, init=False)
    evaluation: float | None = field(default=None, init=False)
    evaluation_latent: float | None = field(default=None, init=False)

    def __post_init__(self):
        traits, design, decisions, answers, closeness, evaluation = participant_seed(self.seed, self.index).spawn(6)
        self._traits = np.random.default_rng(traits)
        self._design = np.random.default_rng(design)
        self._decisions = np.random.default_rng(decisions)
        self._answers = np.random.default_rng(answers)
        self._closeness = np.random.default_rng(closeness)
        self._evaluation = np.random.default_rng(evaluation)
        p = self.params
        self.holism_target = float(np.clip(self._traits.normal(p.holism_mean, p.holism_sd), 1.0, 7.0))
        self.attentive = bool(self._traits.random() >= p.attention_fail_rate)
        self._closeness_z = float(self._closeness.standard_normal())
        self._eval_z = float(self._evaluation.standard_normal())
        self._decision_draws: list[float] = []

    # thinking style --------------------------------------------------
    def thinking_style(self, items: Sequence[ItemLike], low: int = 1, high: int = 7) -> dict[str, int]:
        answers, self.holism = answer_scale(self.holism_target, items, low, high, self._answers,
                                            self.params.item_spread, self.attentive)
        return answers

    def measured_holism(self) -> float:
        """The scored holism, or the latent target when no thinking-style block was asked."""
        return self.holism if self.holism is not None else self.holism_target

    # designing -------------------------------------------------------
    def design_changes(self, levels: Mapping[str, Sequence[str]], current: Mapping[str, str],
                       mean_edits: float | None = None, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
        """A few free attribute changes: (attribute, new level), each different from the level then."""
        mean = self.params.design_edits if mean_edits is None else mean_edits
        blocked = set(exclude)
        choosable = [a for a in levels if a not in blocked and len(levels[a]) > 1]
        if not choosable or mean <= 0:
            return []
        state = dict(current)
        changes = []
        for _ in range(int(self._design.poisson(mean))):
            attribute = choosable[int(self._design.integers(len(choosable)))]
            others = [lv for lv in levels[attribute] if lv != state.get(attribute)]
            level = others[int(self._design.integers(len(others)))]
            state[attribute] = level
            changes.append((attribute, level))
        return changes

    def monogram(self, max_length: int = 3) -> str | None:
        """A monogram to type (None: leave it as it is)."""
        if self._design.random() >= self.params.monogram_rate:
            return None
        length = int(self._design.integers(1, max(1, max_length) + 1))
        return "".join(string.ascii_uppercase[int(i)] for i in self._design.integers(0, 26, size=length))

    def review_choice(self, options: Sequence[str]) -> str:
        """The change suggested to another participant (one of the offered "attribute:level")."""
        return options[int(self._design.integers(len(options)))]

    def review_comment(self) -> str | None:
        if self._design.random() >= 0.3:
            return None
        return str(self._design.choice(["Just an idea.", "I think this would look sharper.", "Try it!"]))

    # suggestions -----------------------------------------------------
    def adoption_probability(self, public: bool) -> float:
        return self.params.adoption_probability(public, self.measured_holism())

    def decide(self, n: int, public: bool) -> list[bool]:
        """Adopt (True) or reject each of n suggestions; the uniform draws do not depend on p."""
        while len(self._decision_draws) < n:
            self._decision_draws.append(float(self._decisions.random()))
        p = self.adoption_probability(public)
        decisions = [u < p for u in self._decision_draws[:n]]
        self.conformity = sum(decisions) / n if n else None
        return decisions

    # questionnaires after the task -------------------------------------
    def closeness_answers(self, keys: Sequence[str], relation: str) -> dict[str, int]:
        p = self.params
        target = float(np.clip(p.closeness_mean(relation) + p.closeness_sd * self._closeness_z, 1.0, 7.0))
        values = integer_answers(target, len(keys), 1, 7, self._answers, p.item_spread if len(keys) > 1 else 0)
        self.closeness = sum(values) / len(values) if values else None
        return dict(zip(keys, values))

    def evaluation_answers(self, items: Sequence[ItemLike], low: int = 1, high: int = 7,
                           conformity: float | None = None, closeness: float | None = None) -> dict[str, int]:
        p = self.params
        c = conformity if conformity is not None else (self.conformity if self.conformity is not None else 0.0)
        k = closeness if closeness is not None else (self.closeness if self.closeness is not None else 4.0)
        latent = p.evaluation_mean(c, k) + p.eval_noise_sd * self._eval_z
        self.evaluation_latent = float(np.clip(latent, p.eval_min, p.eval_max))
        answers, self.evaluation = answer_scale(self.evaluation_latent, items, low, high, self._answers,
                                                p.item_spread, self.attentive)
        return answers

    def wtp(self, low: float = 0.0, high: float = 500.0) -> float:
        """Willingness to pay: log-normal around the median, higher for a better-liked shirt."""
        evaluation = self.evaluation if self.evaluation is not None else 4.0
        value = self.params.wtp_median * math.exp(0.25 * (evaluation - 4.0) + 0.4 * self._answers.standard_normal())
        return round(min(high, max(low, value)), 2)

    def manipulation_answer(self, public: bool | None, low: int = 1, high: int = 7) -> int:
        """Perceived visibility: high when public, low when private (random when unknown)."""
        if public is None or not self.attentive:
            return int(self._answers.integers(low, high + 1))
        span = max(1, (high - low + 1) // 3)
        start = high - span + 1 if public else low
        return int(self._answers.integers(start, start + span))

    def choice_answer(self, options: Sequence[str], expected: str | None) -> str:
        if expected is not None and self.attentive:
            return expected
        wrong = [o for o in options if o != expected] or list(options)
        return wrong[int(self._answers.integers(len(wrong)))]

    def demographics(self, age_range: tuple[int, int] = (18, 100),
                     genders: Sequence[str] = ()) -> dict[str, str]:
        low, high = age_range
        age = int(np.clip(round(self._answers.normal(35, 11)), max(low, 18), min(high, 80)))
        answers = {"age": str(age) if self._answers.random() < 0.9 else ""}
        if genders:
            answers["gender"] = genders[int(self._answers.integers(len(genders)))] \
                if self._answers.random() < 0.9 else ""
        return answers
