"""The list of one's studies, a study's page, and opening, pausing and closing it."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import monitor as monitor_queries
from ..extensions import db
from ..study_admin import set_status
from . import membership_service as members, study_service
from .blueprint import bp, editor_study, member_study, require_form
from .forms import ActionForm, InvitationForm, MemberForm
from .pilot import pilot_cell_in_session

log = logging.getLogger(__name__)

PROLIFIC_QUERY = "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
STATUS_ACTIONS = ("open", "pause", "close")  # archiving is for the command line


@bp.get("/")
@login_required
def index():
    return render_template("studio/index.html", rows=monitor_queries.studies_overview(current_user.id),
                           invitations=members.invitations_for(current_user), invitation_form=InvitationForm(),
                           logout_form=ActionForm())


@bp.get("/studies/<slug>", endpoint="study")
@login_required
def study_page(slug: str):
    study, role = member_study(slug)
    member_rows = members.members_of(study)
    entry_url = url_for("participant.entry", slug=study.slug, _external=True)
    return render_template(
        "studio/study.html", study=study, role=role, definition=study.current_version and study.current_version.definition,
        cells=study_service.cells_with_occupancy(study), versions=study_service.versions_of(study),
        members=member_rows, actions=study_service.recent_actions(study), entry_url=entry_url,
        prolific_url=entry_url + PROLIFIC_QUERY, action_form=ActionForm(), member_form=MemberForm(),
        logout_form=ActionForm(), roles=members.ROLES, can_edit=role in members.EDITING_ROLES,
        invitations=members.invitations_of_study(study) if role == "owner" else [],
        owners=sum(m.role == "owner" for m in member_rows), piloting=pilot_cell_in_session(study.slug))


@bp.post("/studies/<slug>/status/<action>")
@login_required
def change_status(slug: str, action: str):
    study = editor_study(slug)
    if action not in STATUS_ACTIONS:
        abort(404)
    require_form(ActionForm())
    before, after = set_status(study, action, current_user.id)
    db.session.commit()
    if before != after:
        log.info("study %s: %s -> %s by experimenter %s", study.slug, before, after, current_user.id)
    flash(f"The study is {after} now." if before != after else f"The study was {after} already.", "info")
    return redirect(url_for(".study", slug=slug), code=303)
