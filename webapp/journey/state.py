"""The log entry every change writes, and the designs saved on a participant's row."""

from __future__ import annotations

import json

from ..domain.design import Design
from ..extensions import db
from ..models import Event, Participant, utcnow


def record(participant: Participant, kind: str, step: str | None = None, **payload) -> Event:
    event = Event(participant_id=participant.id, study_id=participant.study_id, at=utcnow(),
                  step=step or participant.step, kind=kind, payload=json.dumps(payload, sort_keys=True, default=str))
    db.session.add(event)
    return event


def stored_design(text: str | None) -> Design:
    """A design saved on a participant; the steps that read one come after it was saved."""
    if text is None:
        raise TypeError("no design saved yet")
    return Design.from_json(text)


def current_design(participant: Participant) -> Design:
    return stored_design(participant.design_json)
