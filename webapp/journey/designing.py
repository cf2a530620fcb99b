"""Designing: saving each change, submitting the initial and final designs, deciding on suggestions."""

from __future__ import annotations

import json

from ..domain.conformity import conformity
from ..domain.design import Design, diff
from ..models import Participant, Suggestion, utcnow
from ..previews import register
from .state import current_design, record, stored_design
from .suggestions import assign_suggestions


def remember_design(design: Design, owner: Participant) -> str:
    """Register the owner's design so its (keyed, access-checked) preview URL can be served."""
    return register(owner, design)


def change_design(participant: Participant, new: Design, via: str) -> list:
    """Save the design as it is now and log each attribute that changed."""
    old = current_design(participant)
    changes = diff(old, new)
    if changes:
        participant.design_json = new.to_json()
        for change in changes:
            record(participant, "attribute_changed", attribute=change.attribute, before=change.before,
                   after=change.after, via=via)
    remember_design(new, participant)
    return list(changes)


def submit_initial_design(participant: Participant) -> None:
    design = current_design(participant)
    participant.initial_design_json = design.to_json()
    participant.initial_submitted_at = utcnow()
    record(participant, "design_submitted", kind_of_design="initial", design=json.loads(design.to_json()))
    if "review" not in participant.definition.flow:
        assign_suggestions(participant)


def decide(participant: Participant, suggestion: Suggestion, adopt: bool) -> Design:
    """Adopt (apply the suggested level) or reject (restore the initial level if it had been applied)."""
    design = current_design(participant)
    if adopt:
        new = design.with_level(suggestion.attribute, suggestion.suggested_level)
    elif design[suggestion.attribute] == suggestion.suggested_level:
        new = design.with_level(suggestion.attribute, suggestion.initial_level)
    else:
        new = design
    change_design(participant, new, via=f"suggestion:{suggestion.id}")
    suggestion.decision = "adopted" if adopt else "rejected"
    suggestion.decided_at = utcnow()
    record(participant, "suggestion_adopted" if adopt else "suggestion_rejected",
           suggestion_id=suggestion.id, attribute=suggestion.attribute)
    return new


def submit_final_design(participant: Participant) -> None:
    final = current_design(participant)
    initial = stored_design(participant.initial_design_json)
    participant.final_design_json = final.to_json()
    for suggestion in participant.suggestions:
        suggestion.final_level = final[suggestion.attribute]
    result = conformity(initial, final, participant.suggestions)
    participant.n_suggestions = result.n_suggestions
    participant.n_adopted = result.n_adopted
    participant.conformity = result.share
    participant.conformity_distance = result.distance
    record(participant, "design_submitted", kind_of_design="final", design=json.loads(final.to_json()),
           n_adopted=result.n_adopted, conformity=result.share, conformity_distance=result.distance)
