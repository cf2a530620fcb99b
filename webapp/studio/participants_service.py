"""One row per participant for the studio, and the actions an editor takes on one of them.

Participants are shown and addressed by the export's pseudonymous id only
(webapp.export.participant_id), so what the studio shows can be matched with the export
and nothing else. Each action changes the participant, appends an event to their log and a
StudioAction to the study's audit log, all in the caller's transaction. The StudioAction
names the action, never the participant (it outlives them when they withdraw); the
participant's own event log says which experimenter acted.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, or_, select

from .. import journey
from ..database import lock
from ..export import participant_id as export_participant_id
from ..extensions import db
from ..models import Event, Participant, Study, utcnow
from ..privacy import participant_by_export_id
from ..study_admin import record_action

STATUSES = ("active", "completed", "timed_out", "returned")
KINDS = ("real", "test", "all")  # test = pilot or simulated
MAX_ROWS = 1000
MAX_EXTENSION_MINUTES = 24 * 60
RESUME_SALT = "participant-resume"


class ActionRefused(ValueError):
    """The action does not apply to this participant now; the message says why."""


@dataclass(frozen=True)
class Filters:
    cell: str = ""
    status: str = ""
    step: str = ""
    kind: str = "real"


@dataclass(frozen=True)
class Row:
    pid: str
    cell: str
    status: str
    step: str
    entered_at: datetime
    seconds_on_step: float | None
    deadline_at: datetime
    overdue: bool
    outcome: str | None
    pilot: bool
    simulated: bool
    time_extended: bool = False  # the participant asked for more time at the time-limit warning


def rows(study: Study, filters: Filters, now: datetime | None = None) -> list[Row]:
    """The study's participants matching the filters, newest first (at most MAX_ROWS)."""
    now = now or utcnow()
    conditions = [Participant.study_id == study.id]
    if filters.cell:
        visibility, relation = filters.cell.split("/")
        conditions += [Participant.visibility == visibility, Participant.relation == relation]
    if filters.status:
        conditions.append(Participant.status == filters.status)
    if filters.step:
        conditions.append(Participant.step == filters.step)
    test = or_(Participant.is_pilot.is_(True), Participant.is_simulated.is_(True))
    if filters.kind == "real":
        conditions.append(~test)
    elif filters.kind == "test":
        conditions.append(test)
    found = db.session.execute(
        select(Participant.id, Participant.visibility, Participant.relation, Participant.status, Participant.step,
               Participant.entered_at, Participant.step_started_at, Participant.deadline_at, Participant.outcome,
               Participant.is_pilot, Participant.is_simulated,
               exists().where(Event.participant_id == Participant.id, Event.kind == "time_extended")
               .label("time_extended"))
        .where(*conditions).order_by(Participant.entered_at.desc(), Participant.id.desc()).limit(MAX_ROWS)).all()
    result = []
    for p in found:
        active = p.status == "active"
        result.append(Row(
            pid=export_participant_id(study.slug, p.id), cell=f"{p.visibility}/{p.relation}", status=p.status,
            step=p.step, entered_at=p.entered_at,
            seconds_on_step=(now - p.step_started_at).total_seconds() if active else None,
            deadline_at=p.deadline_at, overdue=active and p.deadline_at < now, outcome=p.outcome,
            pilot=bool(p.is_pilot), simulated=bool(p.is_simulated), time_extended=bool(p.time_extended)))
    return result


def utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def row_json(row: Row) -> dict:
    """One row for the live page: what the table shows, by export id (never the internal row id)."""
    return {"participant": row.pid, "cell": row.cell, "status": row.status, "step": row.step,
            "seconds_on_step": None if row.seconds_on_step is None else round(row.seconds_on_step),
            "entered_at": utc_iso(row.entered_at), "deadline_at": utc_iso(row.deadline_at),
            "deadline": row.deadline_at.strftime("%Y-%m-%d %H:%M"), "overdue": row.overdue,
            "outcome": row.outcome, "pilot": row.pilot, "simulated": row.simulated, "time_extended": row.time_extended}


def find(study: Study, pid: str) -> Participant | None:
    """The participant behind an export id, locked for the action."""
    internal = participant_by_export_id(study.id, study.slug, pid)
    return None if internal is None else lock(Participant, internal)


def extend_deadline(study: Study, participant: Participant, minutes: int, by: int) -> datetime:
    """More time for an active participant: the deadline moves by `minutes` (from now if already past)."""
    if participant.status != "active":
        raise ActionRefused(f"Only active participants get more time; this one is {participant.status}.")
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise ActionRefused(f"Give between 1 and {MAX_EXTENSION_MINUTES} minutes.")
    before = participant.deadline_at
    participant.deadline_at = max(before, utcnow()) + timedelta(minutes=minutes)
    journey.record(participant, "deadline_extended", before=before.isoformat(),
                   after=participant.deadline_at.isoformat(), experimenter=by)
    record_action(study, "participant_deadline_extended", f"+{minutes} min", by)
    return participant.deadline_at


def mark_returned(study: Study, participant: Participant, by: int) -> None:
    """The participant returned the submission on the recruiting site: they stop, and their slot frees."""
    if participant.status not in ("active", "timed_out"):
        raise ActionRefused(f"Only active or timed-out participants can be marked as returned; "
                            f"this one is {participant.status}.")
    before = participant.status
    participant.status = "returned"
    participant.outcome = "returned"
    journey.record(participant, "returned", before=before, experimenter=by)
    record_action(study, "participant_returned", f"was {before}", by)


# ---------------------------------------------------------------- resume links
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)


def _token_mark(participant: Participant) -> str:
    """Ties a link to the participant's current browser token: once a link is used the token changes,
    so every link issued before (this one included) stops working."""
    return hashlib.sha256(participant.token.encode()).hexdigest()[:16]


def resume_hours() -> int:
    return int(current_app.config.get("RESUME_LINK_HOURS") or 48)


def issue_resume_link(study: Study, participant: Participant, by: int) -> str:
    """A signed token to put in the resume URL; valid for resume_hours() and for one use."""
    if participant.status != "active":
        raise ActionRefused(f"Only active participants can continue; this one is {participant.status}.")
    journey.record(participant, "resume_link_issued", hours=resume_hours(), experimenter=by)
    record_action(study, "participant_resume_link", f"valid {resume_hours()} h", by)
    # the link names the participant by their export id, never the internal row id
    return _serializer().dumps({"s": study.slug, "p": export_participant_id(study.slug, participant.id),
                                "t": _token_mark(participant)})


class ResumeRefused(ValueError):
    """The resume link cannot be used; the message is for the participant."""


def use_resume_link(study: Study, signed: str) -> Participant:
    """Check the link, give the participant a new browser token (the old device's session ends) and log it."""
    try:
        data = _serializer().loads(signed, max_age=resume_hours() * 3600)
    except SignatureExpired:
        raise ResumeRefused("This link has expired. Please ask the researcher for a new one.") from None
    except BadSignature:
        raise ResumeRefused("This link is not valid. Please copy the whole link you were given.") from None
    if not isinstance(data, dict) or data.get("s") != study.slug or not isinstance(data.get("p"), str):
        raise ResumeRefused("This link is not valid. Please copy the whole link you were given.")
    participant = find(study, data["p"])
    if participant is None or data.get("t") != _token_mark(participant):
        raise ResumeRefused("This link has been used already. Please ask the researcher for a new one.")
    if participant.status != "active":
        raise ResumeRefused("Your participation has ended, so there is nothing to continue.")
    participant.token = secrets.token_urlsafe(32)
    journey.record(participant, "resumed")
    return participant
