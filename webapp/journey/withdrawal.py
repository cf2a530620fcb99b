"""Withdrawal: everything of a participant erased in one transaction, only a bare count left."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from ..database import lock
from ..extensions import db
from ..models import DesignRecord, Event, Participant, PeerSuggestion, Study, Suggestion


def withdraw(participant: Participant) -> None:
    """Delete everything of this participant in one transaction; only a bare count remains.

    Suggestions they made to others stay with the recipient (the recipient's data would
    otherwise change), but lose any link to them and their free-text comment.
    """
    study = lock(Study, participant.study_id)
    study.withdrawals = (study.withdrawals or 0) + 1
    db.session.execute(update(Suggestion).where(Suggestion.suggester_id == participant.id)
                       .values(suggester_id=None, comment=None))
    db.session.execute(update(PeerSuggestion).where(PeerSuggestion.reviewer_id == participant.id)
                       .values(reviewer_id=None, comment=None))
    db.session.execute(delete(DesignRecord).where(DesignRecord.participant_id == participant.id))
    _unlink_from_others_events(participant)
    db.session.delete(participant)


def _unlink_from_others_events(participant: Participant) -> None:
    """Other participants' review events name their target; a withdrawn target is no longer named."""
    candidates = db.session.execute(select(Event).where(
        Event.study_id == participant.study_id, Event.participant_id != participant.id,
        Event.kind.in_(("review_assigned", "review_skipped", "peer_suggestion_made")),
        Event.payload.like(f'%"target": {participant.id}%'))).scalars().all()
    for event in candidates:
        payload = json.loads(event.payload)
        if payload.get("target") == participant.id:
            payload["target"] = None
            payload["target_withdrawn"] = True
            event.payload = json.dumps(payload, sort_keys=True, default=str)
