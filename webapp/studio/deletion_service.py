"""Finding a participant for deletion on request, by recruiting id or export id, and deleting them."""

from __future__ import annotations

import re

from sqlalchemy import select

from .. import journey
from ..database import lock
from ..extensions import db
from ..models import Participant, Study
from ..privacy import export_participant_id, participant_by_export_id, pseudonym
from ..study_admin import record_action

EXPORT_ID = re.compile(r"[0-9a-f]{16}")


def export_id(study: Study, participant_id: int) -> str:
    """The pseudonymous participant id of the export (one definition, in webapp.privacy)."""
    return export_participant_id(study.slug, participant_id)


def find_participant(study: Study, identifier: str) -> Participant | None:
    """By recruiting id (hashed as at entry) or by the export's participant id."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    by_recruit = db.session.execute(select(Participant).where(
        Participant.study_id == study.id,
        Participant.recruit_id_hash == pseudonym(study.slug, "recruit", identifier))).scalar_one_or_none()
    if by_recruit is not None:
        return by_recruit
    if not EXPORT_ID.fullmatch(identifier.lower()):
        return None
    internal = participant_by_export_id(study.id, study.slug, identifier)
    return None if internal is None else db.session.get(Participant, internal)


def delete_participant(study: Study, participant: Participant, by: int) -> None:
    """Withdraw them as if they had asked; the action names no one (the caller commits)."""
    journey.withdraw(lock(Participant, participant.id))
    record_action(study, "participant_deleted", "on request", by)


def token_exists(token: str) -> bool:
    return db.session.execute(select(Participant.id).where(Participant.token == token)).first() is not None
