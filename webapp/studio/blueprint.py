"""The studio's blueprint and what every view shares: who may open a study, form checks, error pages."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import limiter
from ..models import Study
from .membership_service import EDITING_ROLES, membership

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def too_many(error):
    reset_at = None
    current = getattr(limiter, "current_limit", None)
    if current is not None:
        reset_at = current.reset_at
    wait = max(1, int((reset_at or time.time() + 60) - time.time()))
    when = datetime.fromtimestamp(time.time() + wait, UTC).strftime("%H:%M:%S UTC")
    message = (f"Too many login attempts. Please wait {wait} seconds and try again at {when}. "
               "Nothing is locked: after that you can log in as usual.")
    if request.accept_mimetypes.best == "application/json":
        response = jsonify(error="Too many attempts", message=message, retry_after=wait)
    else:
        response = current_app.make_response(
            render_template("error.html", status=429, title="Too many attempts", message=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


def member_study(slug: str) -> tuple[Study, str]:
    """The study and the current experimenter's role in it; 404 when they are not a member."""
    found = membership(slug, current_user.id)
    if found is None:
        abort(404, "There is no study at this address.")
    return found


def editor_study(slug: str) -> Study:
    """A study the current experimenter may change: owners and editors; viewers get a 403 saying why."""
    study, role = member_study(slug)
    if role not in EDITING_ROLES:
        abort(403, "Your role in this study is viewer: you can watch the monitor and export the data. "
                   "Ask an owner for the editor role to change the study.")
    return study


def owner_study(slug: str) -> Study:
    study, role = member_study(slug)
    if role != "owner":
        abort(403, "Only an owner of the study can manage its experimenters.")
    return study


def require_form(form: FlaskForm) -> FlaskForm:
    if not form.validate_on_submit():
        abort(400, "This form has expired or is incomplete. Reload the page and try again.")
    return form


def include_pilot_arg() -> bool:
    return request.args.get("include_pilot") in ("1", "true", "yes", "on")
