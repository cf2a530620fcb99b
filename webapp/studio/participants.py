"""The participants page: every entry with its step, time on it and deadline; actions on one of them.

Members see the page; only owners and editors act (editor_study), and every action goes
through a CSRF-checked form and is recorded with the change in one transaction.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import utcnow
from . import participants_service as service
from .blueprint import bp, editor_study, member_study, require_form
from .forms import ActionForm, ExtendDeadlineForm, LookupForm, ParticipantActionForm
from .membership_service import EDITING_ROLES
from .study_service import cell_keys


def _filters(study) -> service.Filters:
    """The filters from the query string; an unknown value is a 400 that names the allowed ones."""
    args = request.args
    filters = service.Filters(cell=args.get("cell", ""), status=args.get("status", ""), step=args.get("step", ""),
                              kind=args.get("kind", "real"))
    cells = sorted(cell_keys(study))
    flow = list(study.current_version.definition.flow) if study.current_version else []
    checks = (("cell", filters.cell, cells), ("status", filters.status, service.STATUSES),
              ("step", filters.step, flow + ["done"]), ("kind", filters.kind, service.KINDS))
    for name, value, allowed in checks:
        if value and value not in allowed:
            abort(400, f"Unknown {name} {value[:40]!r}: use one of {', '.join(allowed)}.")
    return filters


def _page(study, role, status: int = 200, resume_url: str | None = None):
    filters = _filters(study)
    flow = list(study.current_version.definition.flow) if study.current_version else []
    return render_template(
        "studio/participants.html", study=study, role=role, can_act=role in EDITING_ROLES, filters=filters,
        rows=service.rows(study, filters), cells=sorted(cell_keys(study)), statuses=service.STATUSES,
        steps=flow + ["done"], kinds=service.KINDS, max_rows=service.MAX_ROWS, action_form=ParticipantActionForm(),
        extend_form=ExtendDeadlineForm(), lookup_form=LookupForm(), logout_form=ActionForm(),
        resume_url=resume_url, resume_hours=service.resume_hours()), status


@bp.get("/studies/<slug>/participants")
@login_required
def participants(slug: str):
    study, role = member_study(slug)
    return _page(study, role)


@bp.get("/studies/<slug>/participants.json")
@login_required
def participants_json(slug: str):
    """The same rows as the page, for its live refresh (static/participants.js); export ids only."""
    study, _role = member_study(slug)
    found = service.rows(study, _filters(study))
    return jsonify(generated_at=service.utc_iso(utcnow()), count=len(found), max_rows=service.MAX_ROWS,
                   rows=[service.row_json(row) for row in found])


def _target(study, form):
    require_form(form)
    participant = service.find(study, form.participant.data)
    if participant is None:
        abort(404, "No participant with this id in this study (deleted, or a mistyped id).")
    return participant


def _back(slug: str):
    kept: dict[str, Any] = request.args.to_dict()  # the filters (first value of each)
    return redirect(url_for(".participants", slug=slug, **kept), code=303)


def _act(slug: str, action):
    """Run one audited action on a participant: committed with its audit entry, or refused with a
    message and nothing written. Returns (result, None) or (None, the response to send)."""
    try:
        result = action()
    except service.ActionRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return None, _back(slug)
    db.session.commit()
    return result, None


@bp.post("/studies/<slug>/participants/extend")
@login_required
def participant_extend(slug: str):
    study = editor_study(slug)
    form = ExtendDeadlineForm()
    participant = _target(study, form)
    deadline, refused = _act(slug, lambda: service.extend_deadline(study, participant, form.minutes.data,
                                                                   current_user.id))
    if refused:
        return refused
    flash(f"Participant {form.participant.data} now has until {deadline:%Y-%m-%d %H:%M} UTC.", "info")
    return _back(slug)


@bp.post("/studies/<slug>/participants/returned")
@login_required
def participant_returned(slug: str):
    study = editor_study(slug)
    form = ParticipantActionForm()
    participant = _target(study, form)
    _, refused = _act(slug, lambda: service.mark_returned(study, participant, current_user.id))
    if refused:
        return refused
    flash(f"Participant {form.participant.data} is marked as returned; their place is free again.", "info")
    return _back(slug)


@bp.post("/studies/<slug>/participants/resume-link")
@login_required
def participant_resume_link(slug: str):
    study = editor_study(slug)
    form = ParticipantActionForm()
    participant = _target(study, form)
    signed, refused = _act(slug, lambda: service.issue_resume_link(study, participant, current_user.id))
    if refused:
        return refused
    _, role = member_study(slug)
    return _page(study, role, resume_url=url_for("resume.resume", slug=slug, signed=signed, _external=True))
