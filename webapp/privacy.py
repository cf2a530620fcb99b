"""Privacy helpers in one home: the instance's keyed hash and the export's participant id.

Anything that names a participant outside the database (the export, the studio's
deletion by export id) goes through :func:`export_participant_id`, so the id a
researcher reads in a file is the id the studio accepts.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

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
