"""The list of one's studies, a study's page, and opening, pausing and closing it."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import monitor as monitor_queries
from .. import visitor
from ..extensions import db
from ..study_admin import StudyAdminError, copy_study, delete_study, purge_test_data, set_status
from . import membership_service as members
from . import study_service
from .blueprint import bp, editor_study, member_study, owner_study, require_form
from .forms import ActionForm, ConfirmSlugForm, CopyStudyForm, InvitationForm, MemberForm

log = logging.getLogger(__name__)

PROLIFIC_QUERY = "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
STATUS_ACTIONS = ("open", "pause", "close", "archive")


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
        "studio/study.html", study=study, role=role,
        definition=study.current_version and study.current_version.definition,
        cells=study_service.cells_with_occupancy(study), versions=study_service.versions_of(study),
        members=member_rows, actions=study_service.recent_actions(study), entry_url=entry_url,
        prolific_url=entry_url + PROLIFIC_QUERY, action_form=ActionForm(), member_form=MemberForm(),
        logout_form=ActionForm(), roles=members.ROLES, can_edit=role in members.EDITING_ROLES,
        invitations=members.invitations_of_study(study) if role == "owner" else [],
        owners=sum(m.role == "owner" for m in member_rows), piloting=visitor.pilot_cell(study.slug),
        copy_form=CopyStudyForm(), confirm_form=ConfirmSlugForm())


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


def _confirmed(study) -> bool:
    """The slug typed again; a mismatch is flashed and changes nothing."""
    form = require_form(ConfirmSlugForm())
    if form.slug.data.strip() != study.slug:
        flash(f"Nothing was done: type {study.slug} exactly to confirm.", "error")
        return False
    return True


@bp.post("/studies/<slug>/copy")
@login_required
def copy(slug: str):
    study = editor_study(slug)
    form = require_form(CopyStudyForm())
    try:
        new = copy_study(study, form.new_slug.data.strip(), current_user.id)
    except StudyAdminError as error:
        db.session.rollback()
        flash(f"The study was not copied: {error}.", "error")
        return redirect(url_for(".study", slug=slug), code=303)
    db.session.commit()
    flash(f"Copied to {new.slug} (paused, same members). Open it when it is ready.", "info")
    return redirect(url_for(".study", slug=new.slug), code=303)


@bp.post("/studies/<slug>/purge-test-data")
@login_required
def purge(slug: str):
    study = editor_study(slug)
    if _confirmed(study):
        result = purge_test_data(study, current_user.id)
        db.session.commit()
        flash(f"Deleted {result['simulated']} simulated and {result['pilot']} pilot participants; "
              "real participants are untouched.", "info")
    return redirect(url_for(".study", slug=slug), code=303)


@bp.post("/studies/<slug>/delete-study")
@login_required
def delete_whole_study(slug: str):
    study = owner_study(slug)
    if not _confirmed(study):
        return redirect(url_for(".study", slug=slug), code=303)
    n = delete_study(study)
    db.session.commit()
    log.info("study %s deleted with %s participants by experimenter %s", slug, n, current_user.id)
    flash(f"The study {slug} and its {n} participants are deleted.", "info")
    return redirect(url_for(".index"), code=303)
