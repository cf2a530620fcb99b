"""Entering a study: consent creates the participant in a cell with room, at most once per nonce and recruiting id."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..database import lock
from ..domain.assignment import choose_cell
from ..domain.design import Design
from ..extensions import db
from ..models import Event, Participant, Study, utcnow
from ..privacy import export_participant_id, pseudonym
from .deadlines import time_out
from .progress import advance
from .state import record

OCCUPYING = ("active", "completed")


@dataclass
class Entry:
    participant: Participant | None
    outcome: str  # entered | existing | duplicate | full | closed


def expire_overdue(study: Study, now: datetime | None = None) -> int:
    """Time out active participants past their deadline, or idle on their first step; this frees their slot.

    An entry that never gets past the first step after consent for SLOT_IDLE_MINUTES
    holds no slot: someone who is really taking part finishes that step well before then.
    """
    now = now or utcnow()
    overdue = db.session.execute(
        select(Participant).where(Participant.study_id == study.id, Participant.status == "active",
                                  _expirable(study, now))
    ).scalars().all()
    for participant in overdue:
        time_out(participant, idle=participant.deadline_at >= now)
    return len(overdue)


def _expirable(study: Study, now: datetime):
    """The condition on an active participant that expire_overdue times out: past the deadline, or idle
    on the first step after consent."""
    flow = study.current_version.definition.flow
    first_step = flow[1] if len(flow) > 1 else flow[0]
    idle_since = now - timedelta(minutes=current_app.config.get("SLOT_IDLE_MINUTES") or 10**6)
    last_activity = (select(func.max(Event.at)).where(Event.participant_id == Participant.id)
                     .correlate(Participant).scalar_subquery())
    return ((Participant.deadline_at < now)
            | ((Participant.step == first_step) & (Participant.step_started_at < idle_since)
               & (func.coalesce(last_activity, Participant.step_started_at) < idle_since)))


def occupied_counts(study: Study, simulated: bool = False) -> dict[str, int]:
    """Places taken per cell. Real and simulated participants fill separate quotas (pilots none),
    so a simulation run never makes a study full for real participants, nor unbalances their cells."""
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.count())
        .where(Participant.study_id == study.id, Participant.status.in_(OCCUPYING), Participant.is_pilot.is_(False),
               Participant.is_simulated.is_(simulated))
        .group_by(Participant.visibility, Participant.relation)).all()
    return {f"{v}/{r}": n for v, r, n in rows}


def enter(study: Study, nonce: str, recruit: dict | None = None, pilot_cell: str | None = None,
          simulated: bool = False, language: str | None = None) -> Entry:
    """Consent given: assign a cell and create the participant, at most once per nonce and recruit id.

    The study row is locked first, so concurrent entries see each other's counts and a
    cell is never over-filled (on SQLite the transaction holds the write lock already).
    """
    _version = study.current_version  # held: the lock's refresh would otherwise drop it and load it again
    study = lock(Study, study.id)  # first: a duplicate consent waits here, then sees the first one's row
    existing = db.session.execute(select(Participant).where(Participant.entry_nonce == nonce)).scalar_one_or_none()
    if existing is not None:
        return Entry(existing, "existing")
    recruit = recruit or {}
    # the session carries only keyed hashes (pid_hash, session_hash); raw ids are accepted from callers too
    pid_hash = recruit.get("pid_hash") or (
        pseudonym(study.slug, "recruit", recruit["pid"]) if recruit.get("pid") else None)
    session_hash = recruit.get("session_hash") or (
        pseudonym(study.slug, "session", recruit["session"]) if recruit.get("session") else None)
    if pid_hash:
        taken = db.session.execute(select(Participant).where(
            Participant.study_id == study.id, Participant.recruit_id_hash == pid_hash)).scalar_one_or_none()
        if taken is not None:
            return Entry(taken, "duplicate")
    if study.status != "open" and pilot_cell is None:
        return Entry(None, "closed")
    definition = study.current_version.definition
    now = utcnow()
    expire_overdue(study, now)
    targets = {cell.key: cell.target_n for cell in definition.cells}
    entered_so_far = db.session.scalar(select(func.count()).where(Participant.study_id == study.id)) or 0
    if pilot_cell is not None:
        if pilot_cell not in targets:
            return Entry(None, "closed")
        cell: str | None = pilot_cell
    else:
        cell = choose_cell(targets, occupied_counts(study, simulated),
                           random.Random(f"{definition.seed}:assign:{entered_so_far}"))
    if cell is None:
        return Entry(None, "full")
    visibility, relation = cell.split("/")
    participant = Participant(
        study_id=study.id, version_id=study.current_version_id, token=secrets.token_urlsafe(32),
        entry_nonce=nonce, seed=secrets.randbelow(2**31), visibility=visibility, relation=relation,
        status="active", step=definition.flow[0], step_started_at=now, is_pilot=pilot_cell is not None,
        is_simulated=simulated, recruit_id_hash=pid_hash,
        recruit_session_hash=session_hash,
        recruit_source=recruit.get("source"), entered_at=now, consented_at=now,
        deadline_at=now + timedelta(minutes=definition.time_limit_minutes),
        design_json=Design.default(definition.catalogue()).to_json(),
        language=language if language in definition.languages else definition.languages[0],
    )
    db.session.add(participant)
    db.session.flush()
    participant.export_id = export_participant_id(study.slug, participant.id)  # written with advance()'s update
    record(participant, "consented", step="consent", version=study.current_version.number,
           language=participant.language)
    record(participant, "assigned", step="consent", cell=cell, pilot=participant.is_pilot)
    advance(participant)
    return Entry(participant, "entered")


def is_full(study: Study, simulated: bool = False, pid_hash: str | None = None, now: datetime | None = None) -> bool:
    """Whether every cell is taken for this kind of participant, judged before consent (read only).

    Active participants that consent would time out first (expire_overdue) are not counted.
    Someone whose recruiting id took part already is not told "full": consent tells them that.
    """
    now = now or utcnow()
    if pid_hash and db.session.execute(select(Participant.id).where(
            Participant.study_id == study.id, Participant.recruit_id_hash == pid_hash)).first() is not None:
        return False
    definition = study.current_version.definition
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.count())
        .where(Participant.study_id == study.id, Participant.is_pilot.is_(False),
               Participant.is_simulated.is_(simulated),
               (Participant.status == "completed") | ((Participant.status == "active") & ~_expirable(study, now)))
        .group_by(Participant.visibility, Participant.relation)).all()
    taken = {f"{v}/{r}": n for v, r, n in rows}
    return all(taken.get(cell.key, 0) >= cell.target_n for cell in definition.cells)
