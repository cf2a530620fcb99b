"""Piloting: an experimenter walks a chosen cell in this browser as a flagged pilot participant."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import login_required

from .. import visitor
from .blueprint import bp, editor_study, member_study, require_form
from .forms import ActionForm
from .study_service import cell_keys


@bp.post("/studies/<slug>/pilot/<visibility>/<relation>")
@login_required
def pilot(slug: str, visibility: str, relation: str):
    study = editor_study(slug)
    cell = f"{visibility}/{relation}"
    if cell not in cell_keys(study):
        abort(404, "This study has no such cell.")
    require_form(ActionForm())
    visitor.start_pilot(slug, cell)
    visitor.forget_participant(slug)  # start a fresh pilot participant, in this cell
    return redirect(url_for("participant.entry", slug=slug), code=303)


@bp.post("/studies/<slug>/pilot/stop")
@login_required
def stop_pilot(slug: str):
    study, _ = member_study(slug)  # a member demoted while piloting may still stop
    require_form(ActionForm())
    was = visitor.stop_pilot(slug)
    if was:
        visitor.forget_participant(slug)
    flash("Piloting stopped in this browser." if was else "You were not piloting this study.", "info")
    return redirect(url_for(".study", slug=study.slug), code=303)
