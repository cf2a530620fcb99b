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
import threading
from collections import OrderedDict

from flask import Blueprint, Response, abort, current_app, request, url_for
from sqlalchemy import event, select
from sqlalchemy.orm import Session as SqlSession

from . import visitor
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
                                                   current_app.config.get("PREVIEW_RENDER_CONCURRENCY", 1))
    return ext["preview_cache"]


def preview_key(owner_id: int, design: Design) -> str:
    """The address of one participant's design: a keyed hash, not the design's plain content hash."""
    key = current_app.config["PSEUDONYM_KEY"].encode()
    message = f"preview\x1f{owner_id}\x1f{design.digest()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:KEY_LENGTH]


class KnownDesigns:
    """Preview keys this process has seen committed to design_record, each with its owner's token.

    Pages show the same few designs again and again (the editor, the suggestions, the
    revise page); a key known here needs no query. A key counts only for the owner it was
    committed for (participant ids can come back on SQLite after a deletion, tokens never),
    and only once its transaction has committed. Entries have a fixed size (two short
    strings, about 250 bytes), so the entry limit bounds the bytes: 20,000 is about 5 MB.
    """

    PENDING = "preview_keys_pending"

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def knows(self, digest: str, owner_token: str) -> bool:
        if db.session.info.get(self.PENDING, {}).get(digest) == owner_token:
            return True
        with self._lock:
            if self._owners.get(digest) != owner_token:
                return False
            self._owners.move_to_end(digest)
            return True

    def pending(self, digest: str, owner_token: str) -> None:
        """In the database for this transaction; known to the process once it commits."""
        db.session.info.setdefault(self.PENDING, {})[digest] = owner_token

    def committed(self, session) -> None:
        added = session.info.pop(self.PENDING, None)
        if added:
            with self._lock:
                self._owners.update(added)
                while len(self._owners) > self.limit:
                    self._owners.popitem(last=False)

    @staticmethod
    def forget_pending(session, transaction=None) -> None:
        """A rollback (of a savepoint too), or the end of a transaction that did not commit."""
        if transaction is None or transaction.parent is None:
            session.info.pop(KnownDesigns.PENDING, None)


KNOWN = KnownDesigns()
event.listen(SqlSession, "after_commit", KNOWN.committed)
event.listen(SqlSession, "after_soft_rollback", lambda session, _previous: KNOWN.forget_pending(session))
event.listen(SqlSession, "after_transaction_end", KNOWN.forget_pending)


def register(owner: Participant, design: Design) -> str:
    """Record that `owner` has this design (once, even under concurrent requests); its preview key."""
    digest = preview_key(owner.id, design)
    if KNOWN.knows(digest, owner.token):
        return digest
    if db.session.get(DesignRecord, digest) is None:  # most designs are registered when saved: no write here
        insert_ignoring_duplicates(DesignRecord, digest=digest, participant_id=owner.id,
                                   design_json=design.to_json())
    KNOWN.pending(digest, owner.token)
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
    tokens = visitor.participant_tokens()
    if owner.token in tokens.values():  # the owner (tokens are unique): no further query
        return True
    token = tokens.get(owner.study.slug)
    if not token:
        return False
    viewer = db.session.execute(select(Participant).where(
        Participant.token == token, Participant.study_id == owner.study_id)).scalar_one_or_none()
    if viewer is None:
        return False
    return (viewer.id == owner.id or owner.visibility == "public" and viewer.is_pilot == owner.is_pilot
            or viewer.review_target_id == owner.id)


def _serve(digest: str, size: str, fmt: str, mimetype: str):
    found = db.session.execute(
        select(DesignRecord, Participant).join(Participant, Participant.id == DesignRecord.participant_id)
        .where(DesignRecord.digest == digest)).first() if len(digest) == KEY_LENGTH else None
    record, owner = found if found is not None else (None, None)
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
