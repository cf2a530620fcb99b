"""Preview images, addressed by the design's content hash and cached in memory.

A digest always names the same picture, so responses carry a long max-age and an ETag
and are never re-rendered while they stay in the cache.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from .domain import render
from .domain.design import Design
from .extensions import db
from .models import DesignRecord

bp = Blueprint("previews", __name__, url_prefix="/preview")

ONE_YEAR = 365 * 24 * 3600


def cache() -> render.PreviewCache:
    ext = current_app.extensions
    if "preview_cache" not in ext:
        ext["preview_cache"] = render.PreviewCache(current_app.config.get("PREVIEW_CACHE_SIZE", 512))
    return ext["preview_cache"]


def _serve(digest: str, size: str, fmt: str, mimetype: str):
    etag = f'"{digest}-{size}"'
    headers = {"Cache-Control": f"public, max-age={ONE_YEAR}, immutable", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    data = cache().get(digest, size, fmt)
    if data is None:
        record = db.session.get(DesignRecord, digest) if len(digest) == 20 else None
        if record is None:
            abort(404, "No such preview.")
        data = cache().get_or_render(Design.from_json(record.design_json), size, fmt)
    return Response(data, mimetype=mimetype, headers=headers)


@bp.get("/<digest>.png")
def full(digest: str):
    return _serve(digest, "full", "png", "image/png")


@bp.get("/<digest>/thumb.jpg")
def thumb(digest: str):
    return _serve(digest, "thumb", "jpeg", "image/jpeg")
