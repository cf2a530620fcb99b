"""The social part: reviewing an earlier participant's shirt, waiting for and reading suggestions, deciding on each."""

from __future__ import annotations

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _

from .. import journey
from ..database import commit_keeping_loaded
from ..domain.design import Design
from ..extensions import db
from ..forms import DecisionForm, PeerSuggestionForm, StepForm
from ..models import Suggestion
from ..previews import preview_url
from .blueprint import bp
from .context import (
    get_study,
    proceed,
    render_step,
    see_other,
    session_participant,
    step_url,
    step_view,
    url_of_step,
    wants_json,
)
from .designing import editor_step


def review_error(plan, catalogue, target_design, attribute: str, level: str, comment: str) -> str | None:
    """Why a peer suggestion cannot be taken, in the reviewer's language; None when it can."""
    if attribute not in plan.attributes or attribute not in catalogue:
        return _("Please choose one of the suggested changes from the list.")
    if level not in catalogue.attribute(attribute).level_keys:
        return _("Please choose one of the suggested changes from the list.")
    if target_design[attribute] == level:
        return _("The shirt already has that. Please suggest a change.")
    if len(comment) > plan.comment_max_length:
        return _("Please keep your comment to %(n)s characters.", n=plan.comment_max_length)
    return None


def review_page(study, participant, step):
    """Suggest one change to an earlier participant's design (studies with real peer input)."""
    target = journey.review_target(participant)
    catalogue = participant.definition.catalogue()
    plan = participant.definition.suggestions
    form = PeerSuggestionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, _("This page has expired. Please reload it."))
        if target is None or form.skip.data:
            if target is not None:
                journey.record(participant, "review_skipped", target=target.id)
            else:
                journey.record(participant, "review_skipped", reason="no design to review yet")
            return proceed(participant)
        attribute, _colon, level = (form.suggestion.data or "").partition(":")
        target_design = journey.stored_design(target.initial_design_json)
        comment = (form.comment.data or "").strip()
        error = review_error(plan, catalogue, target_design, attribute, level, comment)
        if error:
            journey.record(participant, "validation_failed", error=error)
            return render_step(step.template_name, participant, 400, form=form, target=target,
                               target_design=target_design, catalogue=catalogue, plan=plan, error=error)
        journey.submit_review(participant, target, attribute, level, comment)
        return proceed(participant)
    shown_design = journey.stored_design(target.initial_design_json) if target else None
    return render_step(step.template_name, participant, form=form, target=target,
                       target_design=shown_design, catalogue=catalogue, plan=plan, error=None)


def suggestions_page(study, participant, step):
    if not participant.suggestions:
        remaining = journey.peer_wait_remaining(participant)
        if remaining > 0:
            return render_step("participant/waiting.html", participant, remaining=remaining)
        journey.assign_suggestions(participant)
    if request.method == "POST":
        if StepForm().validate_on_submit():
            return proceed(participant)
        abort(400, _("This page has expired. Please reload it."))
    initial = Design.from_json(participant.initial_design_json)
    return render_step(step.template_name, participant, form=StepForm(),
                       suggestions=participant.suggestions, initial=initial,
                       catalogue=participant.definition.catalogue())


@bp.get("/suggestions/status")
def waiting_status(slug: str):
    """What the waiting page polls instead of refreshing itself: are the suggestions ready, and where to go.

    Read-only (no lock, no page_view event), so polling adds nothing to the data."""
    study = get_study(slug)
    participant = session_participant(study)
    if participant is None:
        return jsonify(ready=True, url=url_for(".entry", slug=slug))
    if participant.status != "active":
        return jsonify(ready=True, url=url_for(".done", slug=slug))
    waiting = participant.step == "suggestions" and not participant.suggestions
    remaining = journey.peer_wait_remaining(participant) if waiting else 0
    return jsonify(ready=remaining <= 0, remaining=remaining, url=step_url(participant))


def revise_page(study, participant, step):
    return editor_step(study, participant, step, journey.submit_final_design,
                       suggestions=participant.suggestions, decision_form=DecisionForm())


@bp.post("/revise/suggestions/<int:suggestion_id>")
@step_view("revise")
def decide(study, participant, suggestion_id: int):
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.participant_id != participant.id:
        abort(404, _("There is no such suggestion."))
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("adopt", "reject"):
        abort(400, _("Please choose to adopt or reject the suggestion."))
    new = journey.decide(participant, suggestion, form.decision.data == "adopt")
    commit_keeping_loaded()  # the answer reads the participant and the suggestion: no reload
    if wants_json():
        return jsonify(preview_url=preview_url(participant, new),
                       design=dict(new.mapping), decision=suggestion.decision)
    return see_other(url_of_step(study.slug, "revise") + f"#suggestion-{suggestion.id}")
