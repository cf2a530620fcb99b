"""One route for every step declared in experiments.steps: the step's path picks it, its `page` names the view."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _

from experiments import steps

from ..database import writes
from .blueprint import bp
from .context import step_view
from .designing import design_page
from .peers import review_page, revise_page, suggestions_page
from .questionnaires import checks_page, closeness_page, demographics_page, evaluation_page, likert_page

PAGE_VIEWS = {
    "likert": likert_page, "closeness": closeness_page, "evaluation": evaluation_page, "checks": checks_page,
    "demographics": demographics_page, "design": design_page, "review": review_page,
    "suggestions": suggestions_page, "revise": revise_page,
}


@bp.route("/<step_path>", methods=["GET", "POST"])
@writes
def step(slug: str, step_path: str):
    declared = steps.by_path("/" + step_path)
    if declared is None or declared.page not in PAGE_VIEWS:
        abort(404, _("There is no such page in this study."))
    view = PAGE_VIEWS[declared.page]
    return step_view(declared.name)(lambda study, participant: view(study, participant, declared))(slug)
