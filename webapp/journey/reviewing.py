"""Reviewing: the earlier design a participant suggests a change to, chosen once, and the suggestion made."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Participant, PeerSuggestion
from .entering import OCCUPYING
from .state import record


def review_target(participant: Participant) -> Participant | None:
    """The earlier design this participant reviews, chosen once and kept across reloads.

    Targets come from the same cell (so a public designer's shirt is reviewed as a gallery
    post and a private one on a private page); the least-reviewed design goes first.
    """
    if participant.review_target_id is not None:
        target = db.session.get(Participant, participant.review_target_id)
        if target is not None:
            return target
    received = (select(PeerSuggestion.target_id, func.count().label("n"))
                .where(PeerSuggestion.study_id == participant.study_id)
                .group_by(PeerSuggestion.target_id).subquery())
    target = db.session.execute(
        select(Participant)
        .outerjoin(received, received.c.target_id == Participant.id)
        .where(Participant.study_id == participant.study_id, Participant.id != participant.id,
               Participant.visibility == participant.visibility, Participant.relation == participant.relation,
               Participant.initial_design_json.is_not(None), Participant.is_pilot == participant.is_pilot,
               # real participants never review, nor are reviewed by, simulated ones
               Participant.is_simulated == participant.is_simulated,
               Participant.status.in_(OCCUPYING))
        .order_by(func.coalesce(received.c.n, 0), Participant.id.desc()).limit(1)).scalar_one_or_none()
    if target is not None:
        participant.review_target_id = target.id
        record(participant, "review_assigned", target=target.id)
    return target


def submit_review(participant: Participant, target: Participant, attribute: str, level: str,
                  comment: str | None) -> PeerSuggestion:
    peer = PeerSuggestion(study_id=participant.study_id, reviewer_id=participant.id, target_id=target.id,
                          attribute=attribute, suggested_level=level, comment=comment or None)
    db.session.add(peer)
    record(participant, "peer_suggestion_made", target=target.id, attribute=attribute, suggested_level=level,
           has_comment=bool(comment))
    return peer
