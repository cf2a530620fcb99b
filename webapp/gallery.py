"""The study's public gallery: public designs and their suggestions, for that study's participants."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import format_timedelta
from flask_babel import gettext as _

from .access import viewer_for
from .database import writes
from .domain.comment_timing import comment_times
from .domain.suggestions import seeded_rng
from .domain.visibility import suggestions_visible_to
from .extensions import db
from .journey import pseudonym, record, stored_design
from .models import utcnow
from .participant import get_study, session_participant
from .previews import preview_url
from .studies import posted_designs

bp = Blueprint("gallery", __name__, url_prefix="/s/<slug>/gallery")


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@writes  # logs a gallery_view event
def index(slug: str):
    study = get_study(slug)
    me = session_participant(study)
    viewer = viewer_for(me)
    if me is None and study.id not in viewer.experimenter_study_ids:
        abort(404, "The gallery is open to the participants of this study only.")
    posted = posted_designs(study, me)
    entries = []
    now, seed = utcnow(), study.current_version.definition.seed
    for owner in posted:
        if not suggestions_visible_to(viewer, owner.id, owner.study_id, owner.visibility):
            continue
        design = stored_design(owner.initial_design_json)
        mine = me is not None and owner.id == me.id
        posted_at = owner.initial_submitted_at or owner.entered_at
        entries.append({
            "label": _("Your design") if mine else _("Shopper %(code)s", code=pseudonym(
                study.slug, "gallery", str(owner.id))[:4].upper()),
            "mine": mine,
            "thumb_url": preview_url(owner, design, "thumb"),
            "posted": _ago(now, posted_at),
            "comments": [{"suggestion": owner.suggestions[index], "ago": _ago(now, at)} for index, at in
                         comment_times(len(owner.suggestions), posted_at, now,
                                       seeded_rng(seed, owner.seed, "gallery-comments"))],
        })
    if me is not None and me.status == "active":
        record(me, "gallery_view", step=me.step, entries=len(entries))
    db.session.commit()  # the preview records registered above
    return render_template("gallery/index.html", study=study, entries=entries, me=me,
                           catalogue=study.current_version.definition.catalogue())


def _ago(now, then) -> str:
    """"3 minutes ago" in the participant's language."""
    return format_timedelta(then - now, add_direction=True)
