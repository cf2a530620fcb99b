"""The time limit: timing out, what a page says about the time left, and the one extension (WCAG 2.2.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..domain.time_limit import TimeLeft, extension_minutes, time_left
from ..extensions import db
from ..models import Event, Participant, utcnow
from .state import record


def time_out(participant: Participant, idle: bool = False) -> None:
    participant.status = "timed_out"
    participant.outcome = "timed_out"
    if idle:
        record(participant, "timed_out", deadline=participant.deadline_at.isoformat(), reason="idle")
    else:
        record(participant, "timed_out", deadline=participant.deadline_at.isoformat())


def has_extended_time(participant: Participant) -> bool:
    """Whether the participant already had their one extension (the `time_extended` event is the record)."""
    return db.session.scalar(select(Event.id).where(Event.participant_id == participant.id,
                                                    Event.kind == "time_extended").limit(1)) is not None


def time_remaining(participant: Participant, now: datetime | None = None) -> TimeLeft:
    """What a step page says about the deadline: seconds left, when to warn, whether more time may be asked."""
    definition = participant.definition
    return time_left(participant.deadline_at, now or utcnow(), definition.time_limit_minutes,
                     definition.time_extension_minutes, has_extended_time(participant))


def extend_time(participant: Participant) -> datetime | None:
    """Move the deadline once by the study's extension and log both deadlines; None if it was extended before.

    The caller holds the participant's row lock, so concurrent requests see each other's event
    and only the first extends.
    """
    if has_extended_time(participant):
        return None
    definition = participant.definition
    minutes = extension_minutes(definition.time_limit_minutes, definition.time_extension_minutes)
    before = participant.deadline_at
    participant.deadline_at = before + timedelta(minutes=minutes)
    record(participant, "time_extended", before=before.isoformat(), after=participant.deadline_at.isoformat(),
           minutes=minutes)
    return participant.deadline_at
