"""Moving on: finishing a step (its duration logged) and the study."""

from __future__ import annotations

from datetime import datetime

from ..domain.flow import DONE, next_step
from ..models import Participant, utcnow
from .state import record


def advance(participant: Participant) -> str:
    """Finish the current step (logging its duration) and move to the next one."""
    now = utcnow()
    seconds = round((now - participant.step_started_at).total_seconds(), 3)
    record(participant, "step_completed", seconds=seconds)
    following = next_step(participant.definition.flow, participant.step)
    if following == DONE:
        finish(participant, now)
    else:
        participant.step = following
        participant.step_started_at = now
        record(participant, "step_started")
    return following


def finish(participant: Participant, now: datetime) -> None:
    participant.step = DONE
    participant.status = "completed"
    participant.completed_at = now
    participant.outcome = "completed" if participant.attention_passed is not False else "attention_failed"
    record(participant, "completed", step=DONE, outcome=participant.outcome)
