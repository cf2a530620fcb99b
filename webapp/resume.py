"""Continuing on another device: a one-time resume link an experimenter issued in the studio.

The link is signed and expires (webapp.studio.participants_service); using it binds this
browser to the participant and ends the session on the old device.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from .database import writes
from .extensions import db
from .participant import get_study, remember, see_other, step_url
from .studio.participants_service import ResumeRefused, use_resume_link

bp = Blueprint("resume", __name__, url_prefix="/s/<slug>/resume")


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link must not leak to the next page's assets
    return response


@bp.get("/<signed>")
@writes
def resume(slug: str, signed: str):
    study = get_study(slug)
    try:
        participant = use_resume_link(study, signed)
    except ResumeRefused as refused:
        db.session.rollback()
        return render_template("error.html", status=410, title="This link cannot be used",
                               message=str(refused)), 410
    target = step_url(participant)
    db.session.commit()
    remember(study, participant)
    return see_other(target)
