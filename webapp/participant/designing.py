"""The editor: design and revise pages, live one-attribute changes, unsaved previews, the one extension of time."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from .. import journey
from ..database import commit_keeping_loaded
from ..domain.catalogue import MONOGRAM_KEY, DesignError
from ..domain.design import Design
from ..extensions import db, limiter
from ..forms import ChangeForm, TimeExtensionForm, design_form
from ..models import Participant, utcnow
from ..previews import cache as preview_cache
from ..previews import preview_url
from .blueprint import bp, is_simulation, limit, participant_key
from .context import (
    elsewhere,
    get_study,
    proceed,
    render_step,
    said,
    see_other,
    session_participant,
    step_url,
    study_and_participant,
    timed_out_if_overdue,
    url_of_step,
    wants_json,
)

EDITOR_STEPS = ("design", "revise")


def editor_context(participant: Participant, form=None, error: str | None = None,
                   error_field: str | None = None) -> dict:
    """What the editor shows; after a refused submit, the error sits beside its field."""
    design = journey.current_design(participant)
    catalogue = participant.definition.catalogue()
    monogram_value = design.monogram
    if form is None:
        form = design_form(catalogue)(formdata=None, data={**design.mapping, MONOGRAM_KEY: design.monogram})
    elif error_field == MONOGRAM_KEY and MONOGRAM_KEY in form:
        monogram_value = form[MONOGRAM_KEY].data or ""  # keep what was typed, so it can be corrected
    return {"design": design, "catalogue": catalogue, "form": form, "error": error, "error_field": error_field,
            "monogram_value": monogram_value, "preview_url": preview_url(participant, design)}


def save_whole_form(participant: Participant):
    """The no-JavaScript path: the form carries every attribute; validate it through the domain."""
    catalogue = participant.definition.catalogue()
    form = design_form(catalogue)()
    if not form.validate_on_submit():
        field = next(iter(form.errors), None)
        return form, _("Please choose one option for every part of the shirt."), field
    data = {name: field.data for name, field in form._fields.items() if name in catalogue or name == MONOGRAM_KEY}
    try:
        design = Design.parse(data, catalogue, base=journey.current_design(participant))
    except DesignError as error:
        return form, said(error), error.field
    journey.change_design(participant, design, via="form")
    return form, None, None


def editor_step(study, participant, step, on_submit, **extra):
    """The design and revise pages: save the whole form ("Update preview") or submit it."""
    template = step.template_name
    if request.method == "POST":
        form, error, field = save_whole_form(participant)
        if error:
            journey.record(participant, "validation_failed", error=error, field=field)
            return render_step(template, participant, 400, **editor_context(participant, form, error, field), **extra)
        if form.submit.data:
            on_submit(participant)
            return proceed(participant)
        db.session.commit()
        return see_other(url_of_step(study.slug, step.name))
    return render_step(template, participant, **editor_context(participant), **extra)


def design_page(study, participant, step):
    return editor_step(study, participant, step, journey.submit_initial_design)


@bp.post("/design/change")
@limiter.limit(limit("DESIGN_CHANGE_RATE_LIMIT"), key_func=participant_key, exempt_when=is_simulation)
def change(slug: str):
    """The live editor: one attribute at a time, saved as it happens; answers JSON or redirects."""
    _study, participant = study_and_participant(slug, for_update=True)
    if participant is None:
        abort(403, _("Your session has ended. Reload the page to start again."))
    timed_out_if_overdue(participant)  # the time is up: no more changes
    if participant.status != "active" or participant.step not in EDITOR_STEPS:
        return elsewhere(participant)
    form = ChangeForm()
    if not form.validate_on_submit():
        abort(400, _("That change could not be read."))
    catalogue = participant.definition.catalogue()
    try:
        new = Design.parse({form.attribute.data: form.level.data or ""}, catalogue,
                           base=journey.current_design(participant))
    except DesignError as error:
        db.session.rollback()
        if wants_json():
            return jsonify(error=said(error), field=error.field), 400
        abort(400, said(error))
    journey.change_design(participant, new, via="live")
    commit_keeping_loaded()  # the answer reads the participant: no reload
    if wants_json():
        return jsonify(preview_url=preview_url(participant, new),
                       design=dict(new.mapping), monogram=new.monogram)
    return see_other(step_url(participant))


@bp.get("/design/draft.png")
@limiter.limit(limit("DRAFT_PREVIEW_RATE_LIMIT"), key_func=participant_key, exempt_when=is_simulation)
def draft_preview(slug: str):
    """The picture of choices not saved yet, for the participant's own editor; writes nothing.

    Arrow keys move through a choice group one option at a time. A mouse user clicks the
    option they want and that click is saved as one design change; a keyboard user passes
    every option on the way. So app.js saves a keyboard choice once, when the participant
    settles on it, and shows the options passed through this address meanwhile: no event, no
    design record, so both users leave the same data. The choices come in the query
    (attribute=level); the monogram is always the saved one.
    """
    study = get_study(slug)
    participant = session_participant(study)
    if (participant is None or participant.status != "active" or participant.step not in EDITOR_STEPS
            or participant.deadline_at < utcnow()):
        abort(404, _("There is no such page in this study."))
    catalogue = participant.definition.catalogue()
    choices = {key: value for key, value in request.args.items() if key in catalogue and key != MONOGRAM_KEY}
    try:
        design = Design.parse(choices, catalogue, base=journey.current_design(participant))
    except DesignError as error:
        abort(400, said(error))
    db.session.close()  # hand the connection back: rendering needs no database
    return Response(preview_cache().get_or_render(design, "full", "png"), mimetype="image/png")


@bp.post("/time/extend")
def extend_time(slug: str):
    """The participant's one request for more time (WCAG 2.2.1), from the warning before the time limit.

    Under the participant's row lock: the first request moves the deadline and logs
    `time_extended` with both deadlines; any later or concurrent duplicate answers 409 and
    writes nothing. After the deadline the participant is timed out, as on every step.
    """
    study = get_study(slug)
    participant = session_participant(study, for_update=True)
    if participant is None:
        abort(403, _("Your session has ended. Reload the page to start again."))
    timed_out_if_overdue(participant)
    if participant.status != "active":
        if wants_json():
            return jsonify(error="step", redirect=url_for(".done", slug=slug)), 409
        return see_other(url_for(".done", slug=slug))
    if not TimeExtensionForm().validate_on_submit():
        abort(400, _("This page has expired. Please reload it."))
    deadline = journey.extend_time(participant)
    if deadline is None:
        db.session.rollback()
        message = _("You have already been given more time once; the time limit cannot be extended again.")
        if wants_json():
            return jsonify(error="already_extended", message=message), 409
        return render_template("error.html", study=study, status=409, title=_("More time was already given"),
                               message=message), 409
    left = journey.time_remaining(participant)
    target = step_url(participant)  # before the commit expires the loaded rows
    db.session.commit()
    if wants_json():
        return jsonify(seconds_left=left.seconds, warn_at=left.warn_at, can_extend=False)
    return see_other(target)
