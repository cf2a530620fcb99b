"""Questionnaire steps: one generic page that validates, saves, scores and moves on, and its per-kind forms."""

from __future__ import annotations

from flask import request

from .. import journey
from ..forms import checks_form, closeness_form, demographics_form, evaluation_form, likert_form
from ..models import Participant
from .context import proceed, render_step


def questionnaire_step(participant: Participant, form_class, block_name: str, template: str, score, **context):
    form = form_class()
    if request.method == "POST":
        if form.validate_on_submit():
            answers = {name: field.data for name, field in form._fields.items()
                       if name not in ("csrf_token", "submit")}
            answers = {k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in answers.items()}
            journey.save_answers(participant, block_name, answers)
            if score is not None:
                score(participant, answers)
            return proceed(participant)
        journey.record(participant, "validation_failed", fields=sorted(form.errors))
        return render_step(template, participant, 400, form=form, **context)
    return render_step(template, participant, form=form, **context)


def likert_page(study, participant, step):
    """Any declared Likert questionnaire: the block the study file (or its instrument) gives the step."""
    block = participant.definition.likert_block(step.name)
    return questionnaire_step(participant, likert_form(block), step.name, step.template_name,
                              journey.scorer(step), block=block)


def closeness_page(study, participant, step):
    people = journey.suggesters(participant)
    keys = [f"ios_{s.persona_key}" for s in people]
    return questionnaire_step(participant, closeness_form(keys), step.name, step.template_name,
                              journey.scorer(step), people=people)


def evaluation_page(study, participant, step):
    return questionnaire_step(participant, evaluation_form(participant.definition), step.name,
                              step.template_name, journey.scorer(step),
                              block=participant.definition.evaluation, design=journey.current_design(participant))


def checks_page(study, participant, step):
    return questionnaire_step(participant, checks_form(participant.definition.checks, participant.definition.say),
                              step.name, step.template_name, journey.scorer(step), checks=participant.definition.checks)


def demographics_page(study, participant, step):
    return questionnaire_step(participant, demographics_form(participant.definition.demographics), step.name,
                              step.template_name, journey.scorer(step))
