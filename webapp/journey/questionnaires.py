"""Questionnaire answers: stored once per block, scored as the step declares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..database import insert_many_ignoring_duplicates
from ..domain.scoring import ScoredItem, attention_passed, scale_mean
from ..models import Participant, Response, utcnow
from .state import record


def save_answers(participant: Participant, block: str, answers: dict[str, object]) -> None:
    """Store one block's answers in one INSERT; re-posting the same block cannot duplicate rows."""
    now = utcnow()
    rows = []
    for key, value in answers.items():
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        rows.append(dict(participant_id=participant.id, block=block, item_key=key, answered_at=now,
                         value_num=float(value) if numeric and isinstance(value, (int, float)) else None,
                         value_text=None if numeric or value is None else str(value)))
    insert_many_ignoring_duplicates(Response, rows)
    record(participant, "answers_submitted", block=block, answers=answers)


def score_likert_mean(participant: Participant, step, answers: dict[str, Any]) -> None:
    """A Likert block: the scored mean (reverse-coded, attention items left out) and its attention items."""
    block = participant.definition.likert_block(step.name)
    items = [ScoredItem(i.key, i.reverse, i.attention) for i in block.items]
    if step.score_field:
        setattr(participant, step.score_field, scale_mean(answers, items, block.scale.min, block.scale.max))
    _update_attention(participant, {i.key: i.attention for i in block.items if i.attention is not None}, answers)


def score_mean(participant: Participant, step, answers: dict[str, int]) -> None:
    setattr(participant, step.score_field, sum(answers.values()) / len(answers))


def score_attention_choices(participant: Participant, step, answers: dict[str, object]) -> None:
    expected = {check.key: check.expected for check in participant.definition.checks.attention}
    _update_attention(participant, expected, answers)


SCORERS: dict[str, Callable[[Participant, Any, Any], None]] = {
    "likert_mean": score_likert_mean, "mean": score_mean, "attention_choices": score_attention_choices}


def scorer(step):
    """The scoring a step declares (experiments.steps.Step.scoring), bound to the step; None if it has none."""
    found = SCORERS.get(step.scoring) if step.scoring else None
    if found is None:
        return None
    score = found
    return lambda participant, answers: score(participant, step, answers)


def _update_attention(participant: Participant, expected: dict, answers: dict) -> None:
    if not expected:
        return
    passed = attention_passed(answers, expected)
    participant.attention_passed = (passed if participant.attention_passed is None
                                    else (participant.attention_passed and passed))
