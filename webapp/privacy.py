"""Privacy helpers in one home: the instance's keyed hash and the export's participant id.

Anything that names a participant outside the database (the export, the studio's
deletion by export id) goes through :func:`export_participant_id`, so the id a
researcher reads in a file is the id the studio accepts; the studio finds the row
behind one with :func:`participant_by_export_id`, through an index.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import select, update

from .extensions import db
from .models import Participant

EXPORT_ID_LENGTH = 16


def pseudonym(*parts: str) -> str:
    """A keyed HMAC-SHA256: stable for the same input, useless without the instance's key."""
    key = current_app.config["PSEUDONYM_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def export_participant_id(study_slug: str, internal_id: int) -> str:
    """The exported participant id: keyed hash of study slug and row id, 16 hex characters.

    Stable across exports of one study, unlinkable across studies (the slug is hashed in).
    """
    return pseudonym(study_slug, "participant", str(internal_id))[:EXPORT_ID_LENGTH]


def participant_by_export_id(study_id: int, study_slug: str, export_id: str) -> int | None:
    """The row id behind an export id in one study, or None (the caller locks or loads it).

    Found through the stored, indexed `Participant.export_id`. Rows entered before that
    column existed have none: on a miss they get theirs here, once, and the lookup is
    asked again (it writes, so only a writing request may call it).
    """
    export_id = (export_id or "").strip().lower()
    if len(export_id) != EXPORT_ID_LENGTH:
        return None
    wanted = select(Participant.id).where(Participant.study_id == study_id, Participant.export_id == export_id)
    found = db.session.scalars(wanted.limit(1)).first()
    if found is not None:
        return found
    missing = db.session.scalars(select(Participant.id).where(Participant.study_id == study_id,
                                                               Participant.export_id.is_(None))).all()
    if not missing:
        return None
    db.session.execute(update(Participant), [{"id": internal, "export_id": export_participant_id(study_slug, internal)}
                                             for internal in missing])
    return db.session.scalars(wanted.limit(1)).first()
