"""What the monitor page shows, as plain dicts: a handful of GROUP BY queries per study, no per-row loads.

Pilot participants are left out unless asked for; simulated ones are counted like
real ones and also reported separately, so a simulation run is visible at a glance.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import case, func, select

from .extensions import db
from .models import Participant, Study, StudyMember, utcnow

STATUSES = ("active", "completed", "timed_out")


def _scope(study: Study, include_pilot: bool) -> list:
    conditions = [Participant.study_id == study.id]
    if not include_pilot:
        conditions.append(Participant.is_pilot.is_(False))
    return conditions


def cell_keys(study: Study) -> list[tuple[str, int]]:
    """The current version's cells in file order, with their target N."""
    if study.current_version is None:
        return []
    return [(cell.key, cell.target_n) for cell in study.current_version.definition.cells]


def status_by_cell(study: Study, include_pilot: bool = False, now: datetime | None = None) -> dict:
    """Participants per cell and status, plus the active ones already past their deadline."""
    now = now or utcnow()
    overdue = case((Participant.deadline_at < now, 1), else_=0)
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, Participant.status, func.count(),
               func.sum(overdue), func.sum(case((Participant.is_simulated.is_(True), 1), else_=0)),
               func.sum(case((Participant.is_pilot.is_(True), 1), else_=0)))
        .where(*_scope(study, include_pilot))
        .group_by(Participant.visibility, Participant.relation, Participant.status)).all()
    cells = {key: {"target_n": target, **{status: 0 for status in STATUSES}, "other": 0, "overdue": 0}
             for key, target in cell_keys(study)}
    totals = {status: 0 for status in STATUSES} | {"other": 0, "overdue": 0, "simulated": 0, "pilot": 0}
    for visibility, relation, status, count, n_overdue, n_simulated, n_pilot in rows:
        key = f"{visibility}/{relation}"
        cell = cells.setdefault(key, {"target_n": 0, **{s: 0 for s in STATUSES}, "other": 0, "overdue": 0})
        bucket = status if status in STATUSES else "other"
        cell[bucket] += count
        totals[bucket] += count
        if status == "active":
            cell["overdue"] += int(n_overdue or 0)
            totals["overdue"] += int(n_overdue or 0)
        totals["simulated"] += int(n_simulated or 0)
        totals["pilot"] += int(n_pilot or 0)
    for cell in cells.values():
        cell["occupied"] = cell["active"] + cell["completed"]
    totals["participants"] = sum(totals[s] for s in STATUSES) + totals["other"]
    return {"cells": cells, "totals": totals}


def median_duration_seconds(study: Study, include_pilot: bool = False) -> float | None:
    """Median of completed_at - entered_at over completed participants (computed in Python: portable)."""
    rows = db.session.execute(
        select(Participant.entered_at, Participant.completed_at)
        .where(*_scope(study, include_pilot), Participant.status == "completed",
               Participant.completed_at.is_not(None))).all()
    durations = [(done - entered).total_seconds() for entered, done in rows]
    return round(median(durations), 1) if durations else None


def dropout_by_step(study: Study, include_pilot: bool = False) -> dict:
    """Where the participants who did not finish are: count per current step, timed out and still active."""
    rows = db.session.execute(
        select(Participant.step, Participant.status, func.count())
        .where(*_scope(study, include_pilot), Participant.status.in_(("timed_out", "active")))
        .group_by(Participant.step, Participant.status)).all()
    flow = list(study.current_version.definition.flow) if study.current_version is not None else []
    steps: dict[str, dict[str, int]] = {}
    for step, status, count in rows:
        steps.setdefault(step, {"timed_out": 0, "active": 0})[status] += count
    order = {step: index for index, step in enumerate(flow)}
    return {step: steps[step] for step in sorted(steps, key=lambda s: (order.get(s, len(order)), s))}


def conformity_by_cell(study: Study, include_pilot: bool = False) -> dict:
    """Mean conformity (share of suggestions adopted) per cell, over participants who have one."""
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.avg(Participant.conformity),
               func.count(Participant.conformity))
        .where(*_scope(study, include_pilot), Participant.conformity.is_not(None))
        .group_by(Participant.visibility, Participant.relation)).all()
    result = {key: {"mean": None, "n": 0} for key, _ in cell_keys(study)}
    for visibility, relation, mean, n in rows:
        result[f"{visibility}/{relation}"] = {"mean": round(float(mean), 4) if mean is not None else None, "n": n}
    return result


def pilot_count(study: Study) -> int:
    """Pilot participants of the study, shown even while the figures above leave them out."""
    return db.session.scalar(select(func.count()).where(Participant.study_id == study.id,
                                                         Participant.is_pilot.is_(True))) or 0


def study_summary(study: Study, include_pilot: bool = False, now: datetime | None = None) -> dict:
    """Everything the monitor shows, JSON-ready."""
    by_cell = status_by_cell(study, include_pilot, now)
    return {
        "study": study.slug,
        "status": study.status,
        "include_pilot": include_pilot,
        "generated_at": (now or utcnow()).replace(microsecond=0).isoformat() + "Z",
        "totals": by_cell["totals"] | {"declines": study.declines or 0, "withdrawals": study.withdrawals or 0,
                                       "pilot_all": pilot_count(study)},
        "cells": by_cell["cells"],
        "median_duration_seconds": median_duration_seconds(study, include_pilot),
        "dropout_by_step": dropout_by_step(study, include_pilot),
        "conformity_by_cell": conformity_by_cell(study, include_pilot),
    }


def studies_overview(experimenter_id: int) -> list[dict]:
    """The experimenter's studies with their role and non-pilot counts by status (two queries)."""
    studies = db.session.execute(
        select(Study, StudyMember.role).join(StudyMember, StudyMember.study_id == Study.id)
        .where(StudyMember.experimenter_id == experimenter_id).order_by(Study.slug)).all()
    ids = [study.id for study, _ in studies]
    counts: dict[int, dict[str, int]] = {}
    if ids:
        rows = db.session.execute(
            select(Participant.study_id, Participant.status, func.count())
            .where(Participant.study_id.in_(ids), Participant.is_pilot.is_(False))
            .group_by(Participant.study_id, Participant.status)).all()
        for study_id, status, count in rows:
            counts.setdefault(study_id, {})[status] = count
    return [{"study": study, "role": role,
             "counts": {status: counts.get(study.id, {}).get(status, 0) for status in STATUSES}}
            for study, role in studies]
