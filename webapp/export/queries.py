"""The export's database reads: a fixed handful of column-only queries per export.

Column tuples through SQLAlchemy Core, no ORM objects per row, so 10,000 participants
with 300,000 events load in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Event, Participant, Response, Study, StudyVersion, Suggestion

TIMED_KINDS = ("step_completed", "peer_wait_ended")  # the events whose `seconds` the export adds up


@dataclass(frozen=True)
class Loaded:
    """Everything one export reads, as loaded rows."""
    entries: list[Any]  # every consented entry (withdrawn participants are deleted, so never appear)
    people: list[Any]  # the completed ones among them
    responses: list[Any]  # (participant_id, item_key, value_num, value_text) of completed participants
    suggestions: list[Any]
    events: list[Any]  # the completed participants' event log
    entry_seconds: list[Any]  # (participant_id, step, kind, payload) of the others' step_completed,
    # peer_wait_ended and time_extended events
    versions: list[StudyVersion]


def _entry_filter(study: Study, include_pilot: bool) -> list:
    conditions = [Participant.study_id == study.id]
    if not include_pilot:
        conditions.append(Participant.is_pilot.is_(False))
    return conditions


def load(study: Study, include_pilot: bool) -> Loaded:
    """Six queries in all; column tuples through Core, no ORM objects per row."""
    every = _entry_filter(study, include_pilot)
    where = [*every, Participant.status == "completed"]
    execute = db.session.connection().execute
    entries = execute(
        select(Participant.id, Participant.version_id, Participant.visibility, Participant.relation,
               Participant.status, Participant.outcome, Participant.is_pilot, Participant.is_simulated,
               Participant.entered_at, Participant.consented_at, Participant.completed_at,
               Participant.holism, Participant.evaluation, Participant.closeness, Participant.attention_passed,
               Participant.n_suggestions, Participant.n_adopted, Participant.conformity,
               Participant.conformity_distance, Participant.initial_design_json, Participant.final_design_json,
               Participant.step, Participant.deadline_at, Participant.language)
        .where(*every).order_by(Participant.id)).all()
    responses = execute(
        select(Response.participant_id, Response.item_key, Response.value_num, Response.value_text)
        .join(Participant, Participant.id == Response.participant_id).where(*where)).all()
    suggestions = execute(
        select(Suggestion.participant_id, Suggestion.position, Suggestion.attribute, Suggestion.initial_level,
               Suggestion.suggested_level, Suggestion.final_level, Suggestion.decision, Suggestion.source,
               Suggestion.suggester_id, Suggestion.persona_key, Suggestion.relation, Suggestion.text,
               Suggestion.comment)
        .join(Participant, Participant.id == Suggestion.participant_id).where(*where)
        .order_by(Suggestion.participant_id, Suggestion.position)).all()
    events = execute(
        select(Event.participant_id, Event.id, Event.at, Event.step, Event.kind, Event.payload)
        .join(Participant, Participant.id == Event.participant_id).where(*where)
        .order_by(Event.participant_id, Event.id)).all()
    # completed participants' step and waiting times (and extensions) come from `events` above; this reads only
    # the others'
    entry_seconds = execute(
        select(Event.participant_id, Event.step, Event.kind, Event.payload)
        .join(Participant, Participant.id == Event.participant_id)
        .where(*every, Participant.status != "completed", Event.kind.in_((*TIMED_KINDS, "time_extended")))).all()
    versions = db.session.execute(
        select(StudyVersion).where(StudyVersion.study_id == study.id).order_by(StudyVersion.number)).scalars().all()
    return Loaded(entries=list(entries), people=[e for e in entries if e.status == "completed"],
                  responses=list(responses), suggestions=list(suggestions), events=list(events),
                  entry_seconds=list(entry_seconds), versions=list(versions))


def study_named(slug: str) -> Study | None:
    return db.session.execute(select(Study).where(Study.slug == slug)).scalar_one_or_none()


def study_slugs() -> list[str]:
    return list(db.session.execute(select(Study.slug).order_by(Study.slug)).scalars().all())
