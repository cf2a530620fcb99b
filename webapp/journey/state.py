"""The log entry every change writes, and the designs saved on a participant's row."""

from __future__ import annotations

import json

from ..domain.design import Design
from ..extensions import db
from ..models import Event, Participant, utcnow

EVENT_TABLE = Event.__table__


def record(participant: Participant, kind: str, step: str | None = None, **payload) -> None:
    """Append one event to the log, in the transaction of the change it records.

    A plain INSERT on the session's connection, sent at once (ordered with the other events,
    visible to later queries in the transaction), not an ORM object: nothing reads an event
    back in the request that writes it, a step writes three to five of them, and the
    participant's own changes are flushed once, at the commit, not before each event.
    """
    if participant.id is None:  # a participant created in this transaction: give it its id first
        db.session.flush()
    db.session.connection().execute(EVENT_TABLE.insert().values(
        participant_id=participant.id, study_id=participant.study_id, at=utcnow(),
        step=step or participant.step, kind=kind, payload=json.dumps(payload, sort_keys=True, default=str)))


def stored_design(text: str | None) -> Design:
    """A design saved on a participant; the steps that read one come after it was saved."""
    if text is None:
        raise TypeError("no design saved yet")
    return Design.from_json(text)


def current_design(participant: Participant) -> Design:
    return stored_design(participant.design_json)
