"""Preview images of participants' designs, shown only to those allowed to see that design.

A preview's address is a keyed hash of its owner and the design (useless without the
instance's pseudonym key), so it can neither be computed from a guessed design nor
reveal one. Every request is checked first: the owner; for a public design, that study's
participants; the participant asked to review it; the study's experimenters. Rendered
images stay in a memory cache, consulted only after the check passes; browsers may keep
them (`private`, long max-age) but shared caches may not.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, current_app, request, session, url_for
from sqlalchemy import select

from .access import experimenter_study_ids
from .database import insert_ignoring_duplicates
from .domain import render
from .domain.design import Design
from .extensions import db
from .models import DesignRecord, Participant

bp = Blueprint("previews", __name__, url_prefix="/preview")

ONE_YEAR = 365 * 24 * 3600
KEY_LENGTH = 20  # hex characters: 80 bits of a keyed hash, the width of design_record.digest


def cache() -> render.PreviewCache:
    ext = current_app.extensions
    if "preview_cache" not in ext:
        ext["preview_cache"] = render.PreviewCache(current_app.config.get("PREVIEW_CACHE_SIZE", 512),
                                                   current_app.config.get("PREVIEW_CACHE_BYTES", 64 * 2**20),
                                                   current_app.config.get("PREVIEW_RENDER_CONCURRENCY", 2))
    return ext["preview_cache"]


def preview_key(owner_id: int, design: Design) -> str:
    """The address of one participant's design: a keyed hash, not the design's plain content hash."""
    key = current_app.config["PSEUDONYM_KEY"].encode()
    message = f"preview\x1f{owner_id}\x1f{design.digest()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:KEY_LENGTH]


def register(owner: Participant, design: Design) -> str:
    """Record that `owner` has this design (once, even under concurrent requests); its preview key."""
    digest = preview_key(owner.id, design)
    if db.session.get(DesignRecord, digest) is None:  # most designs are registered when saved: no write here
        insert_ignoring_duplicates(DesignRecord, digest=digest, participant_id=owner.id,
                                   design_json=design.to_json())
    return digest


def preview_url(owner: Participant, design: Design, size: str = "full") -> str:
    """URL of the owner's design preview (registers it), for views and templates."""
    digest = register(owner, design)
    return url_for("previews.thumb" if size == "thumb" else "previews.full", digest=digest)


bp.add_app_template_global(preview_url, "preview_url")


def may_see(owner: Participant) -> bool:
    """Owner, the study's participants if the design is public, its assigned reviewer, the study's experimenters."""
    if owner.study_id in experimenter_study_ids():
        return True
    token = session.get("participants", {}).get(owner.study.slug)
    if not token:
        return False
    viewer = db.session.execute(select(Participant).where(
        Participant.token == token, Participant.study_id == owner.study_id)).scalar_one_or_none()
    if viewer is None:
        return False
    return (viewer.id == owner.id or owner.visibility == "public" and viewer.is_pilot == owner.is_pilot
            or viewer.review_target_id == owner.id)


def _serve(digest: str, size: str, fmt: str, mimetype: str):
    record = db.session.get(DesignRecord, digest) if len(digest) == KEY_LENGTH else None
    owner = db.session.get(Participant, record.participant_id) if record and record.participant_id else None
    if record is None or owner is None or not may_see(owner):
        abort(404, "No such preview.")
    etag = f'"{digest}-{size}"'
    headers = {"Cache-Control": f"private, max-age={ONE_YEAR}, immutable", "ETag": etag, "Vary": "Cookie"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    design = Design.from_json(record.design_json)
    db.session.close()  # hand the connection back: rendering needs no database
    data = cache().get_or_render(design, size, fmt)  # cached by content
    return Response(data, mimetype=mimetype, headers=headers)


@bp.get("/<digest>.png")
def full(digest: str):
    return _serve(digest, "full", "png", "image/png")


@bp.get("/<digest>/thumb.jpg")
def thumb(digest: str):
    return _serve(digest, "thumb", "jpeg", "image/jpeg")
