"""Preview images, addressed by the design's content hash and cached in memory.

A digest always names the same picture, so responses carry a long max-age and an ETag
and are never re-rendered while they stay in the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Blueprint, Response, abort, current_app, request

from .domain import render
from .domain.design import Design
from .extensions import db
from .models import DesignRecord

bp = Blueprint("previews", __name__, url_prefix="/preview")

ONE_YEAR = 365 * 24 * 3600


class PreviewCache:
    """A small thread-safe LRU of encoded images keyed by (digest, size)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key, data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


def cache() -> PreviewCache:
    ext = current_app.extensions
    if "preview_cache" not in ext:
        ext["preview_cache"] = PreviewCache(current_app.config.get("PREVIEW_CACHE_SIZE", 512))
    return ext["preview_cache"]


def _serve(digest: str, size: str, mimetype: str):
    etag = f'"{digest}-{size}"'
    headers = {"Cache-Control": f"public, max-age={ONE_YEAR}, immutable", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    key = (digest, size)
    data = cache().get(key)
    if data is None:
        record = db.session.get(DesignRecord, digest) if len(digest) == 20 else None
        if record is None:
            abort(404, "No such preview.")
        design = Design.from_json(record.design_json)
        data = render.render_png(design, "full") if size == "full" else render.render_jpeg(design, "thumb")
        cache().put(key, data)
    return Response(data, mimetype=mimetype, headers=headers)


@bp.get("/<digest>.png")
def full(digest: str):
    return _serve(digest, "full", "image/png")


@bp.get("/<digest>/thumb.jpg")
def thumb(digest: str):
    return _serve(digest, "thumb", "image/jpeg")
