"""Piloting: an experimenter walks a chosen cell in this browser as a flagged pilot participant."""

from __future__ import annotations

from flask import abort, flash, redirect, session, url_for
from flask_login import login_required

from .blueprint import bp, editor_study, member_study, require_form
from .forms import ActionForm
from .study_service import cell_keys


def pilot_cell_in_session(slug: str) -> str | None:
    return session.get("pilot", {}).get(slug)


def forget_participant_here(slug: str) -> None:
    """The next visit to the study starts a fresh participant in this browser."""
    tokens = dict(session.get("participants", {}))
    tokens.pop(slug, None)
    session["participants"] = tokens


@bp.post("/studies/<slug>/pilot/<visibility>/<relation>")
@login_required
def pilot(slug: str, visibility: str, relation: str):
    study = editor_study(slug)
    cell = f"{visibility}/{relation}"
    if cell not in cell_keys(study):
        abort(404, "This study has no such cell.")
    require_form(ActionForm())
    pilots = dict(session.get("pilot", {}))
    pilots[slug] = cell
    session["pilot"] = pilots
    forget_participant_here(slug)  # start a fresh pilot participant, in this cell
    return redirect(url_for("participant.entry", slug=slug), code=303)


@bp.post("/studies/<slug>/pilot/stop")
@login_required
def stop_pilot(slug: str):
    study, _ = member_study(slug)  # a member demoted while piloting may still stop
    require_form(ActionForm())
    pilots = dict(session.get("pilot", {}))
    was = pilots.pop(slug, None)
    session["pilot"] = pilots
    if was:
        forget_participant_here(slug)
    flash("Piloting stopped in this browser." if was else "You were not piloting this study.", "info")
    return redirect(url_for(".study", slug=study.slug), code=303)
