"""What the monitor page shows, as plain dicts: a handful of GROUP BY queries per study, no per-row loads.

Test data (pilot and simulated participants) are left out of every figure unless asked
for (include_pilot, the monitor's "include test data"); how many there are is always
shown apart, so a simulation run is visible at a glance.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from sqlalchemy import case, func, select

from .extensions import db
from .models import Participant, Study, StudyMember, utcnow

STATUSES = ("active", "completed", "timed_out")
# completed participants by outcome: "completed" counts only those who passed the attention checks
BUCKETS = ("active", "completed", "attention_failed", "timed_out", "returned")
DONE = "done"


def _scope(study: Study, include_pilot: bool) -> list:
    conditions = [Participant.study_id == study.id]
    if not include_pilot:
        conditions += [Participant.is_pilot.is_(False), Participant.is_simulated.is_(False)]
    return conditions


def cell_keys(study: Study) -> list[tuple[str, int]]:
    """The current version's cells in file order, with their target N."""
    if study.current_version is None:
        return []
    return [(cell.key, cell.target_n) for cell in study.current_version.definition.cells]


def _flow(study: Study) -> list[str]:
    return list(study.current_version.definition.flow) if study.current_version is not None else []


def _bucket(status: str, outcome: str | None) -> str:
    if status == "completed":
        return "attention_failed" if outcome == "attention_failed" else "completed"
    return status if status in BUCKETS else "other"


def _empty_cell(target: int) -> dict:
    return {"target_n": target, **{b: 0 for b in BUCKETS}, "other": 0, "overdue": 0, "attention_check_failures": 0}


def by_cell(study: Study, include_pilot: bool = False, now: datetime | None = None) -> dict:
    """One GROUP BY over (cell, status, outcome, step): counts per cell, the flow, dropout by step.

    The flow counts, per cell, how many reached each step of the study's flow (a participant
    now on step k has reached steps 1..k; a completed one all of them, then "done"), so it
    shows where people stop. Attention-check failures count everyone who failed a check so far.
    """
    now = now or utcnow()
    overdue = case((Participant.deadline_at < now, 1), else_=0)
    failed = case((Participant.attention_passed.is_(False), 1), else_=0)
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, Participant.status, Participant.outcome,
               Participant.step, func.count(), func.sum(overdue), func.sum(failed),
               func.sum(case((Participant.is_simulated.is_(True), 1), else_=0)),
               func.sum(case((Participant.is_pilot.is_(True), 1), else_=0)))
        .where(*_scope(study, include_pilot))
        .group_by(Participant.visibility, Participant.relation, Participant.status, Participant.outcome,
                  Participant.step)).all()
    flow = _flow(study)
    stages = flow + [DONE]
    position = {step: index for index, step in enumerate(stages)}
    cells = {key: _empty_cell(target) for key, target in cell_keys(study)}
    totals = {b: 0 for b in BUCKETS} | {"other": 0, "overdue": 0, "simulated": 0, "pilot": 0,
                                         "attention_check_failures": 0}
    reached = {key: [0] * len(stages) for key in cells}
    dropout: dict[str, dict[str, int]] = {}
    for visibility, relation, status, outcome, step, count, n_overdue, n_failed, n_simulated, n_pilot in rows:
        key = f"{visibility}/{relation}"
        cell = cells.setdefault(key, _empty_cell(0))
        bucket = _bucket(status, outcome)
        for target in (cell, totals):
            target[bucket] += count
            target["attention_check_failures"] += int(n_failed or 0)
            if status == "active":
                target["overdue"] += int(n_overdue or 0)
        totals["simulated"] += int(n_simulated or 0)
        totals["pilot"] += int(n_pilot or 0)
        last = len(stages) - 1 if status == "completed" else position.get(step, 0)
        counts = reached.setdefault(key, [0] * len(stages))
        for index in range(last + 1):
            counts[index] += count
        if status in ("timed_out", "active"):
            dropout.setdefault(step, {"timed_out": 0, "active": 0})[status] += count
    for cell in cells.values():
        cell["occupied"] = cell["active"] + cell["completed"] + cell["attention_failed"]
    totals["participants"] = sum(totals[b] for b in BUCKETS) + totals["other"]
    order = {step: index for index, step in enumerate(flow)}
    return {
        "cells": cells, "totals": totals,
        "flow_by_cell": {key: [{"step": stage, "reached": n} for stage, n in zip(stages, counts)]
                         for key, counts in reached.items()},
        "dropout_by_step": {step: dropout[step]
                            for step in sorted(dropout, key=lambda s: (order.get(s, len(order)), s))},
    }


def status_by_cell(study: Study, include_pilot: bool = False, now: datetime | None = None) -> dict:
    """Participants per cell and status (see by_cell)."""
    found = by_cell(study, include_pilot, now)
    return {"cells": found["cells"], "totals": found["totals"]}


def median_duration_seconds(study: Study, include_pilot: bool = False) -> float | None:
    """Median of completed_at - entered_at over completed participants (computed in Python: portable)."""
    rows = db.session.execute(
        select(Participant.entered_at, Participant.completed_at)
        .where(*_scope(study, include_pilot), Participant.status == "completed",
               Participant.completed_at.is_not(None))).all()
    durations = [(done - entered).total_seconds() for entered, done in rows if done is not None]  # as selected
    return round(median(durations), 1) if durations else None


def conformity_by_cell(study: Study, include_pilot: bool = False) -> dict:
    """Mean conformity (share of suggestions adopted) per cell, over participants who have one."""
    rows = db.session.execute(
        select(Participant.visibility, Participant.relation, func.avg(Participant.conformity),
               func.count(Participant.conformity))
        .where(*_scope(study, include_pilot), Participant.conformity.is_not(None))
        .group_by(Participant.visibility, Participant.relation)).all()
    result: dict[str, dict[str, float | int | None]] = {key: {"mean": None, "n": 0} for key, _ in cell_keys(study)}
    for visibility, relation, mean, n in rows:
        result[f"{visibility}/{relation}"] = {"mean": round(float(mean), 4) if mean is not None else None, "n": n}
    return result


def counts_of_test_data(study: Study) -> dict[str, int]:
    """Pilot and simulated participants of the study, shown even while the figures leave them out."""
    pilot, simulated = db.session.execute(
        select(func.sum(case((Participant.is_pilot.is_(True), 1), else_=0)),
               func.sum(case((Participant.is_simulated.is_(True), 1), else_=0)))
        .where(Participant.study_id == study.id)).one()
    return {"pilot_all": int(pilot or 0), "simulated_all": int(simulated or 0)}


def outcome_by_cell_enabled(study: Study) -> bool:
    """Whether the study file turns on the live outcome by cell ([monitor] outcome_by_cell = true)."""
    return bool(study.current_version is not None
                and getattr(study.current_version.definition, "monitor_outcome_by_cell", False))


def study_summary(study: Study, include_pilot: bool = False, now: datetime | None = None) -> dict:
    """Everything the monitor shows, JSON-ready; the outcome by cell only where the study enables it."""
    found = by_cell(study, include_pilot, now)
    show_outcome = outcome_by_cell_enabled(study)
    return {
        "study": study.slug,
        "status": study.status,
        "include_pilot": include_pilot,
        "generated_at": (now or utcnow()).replace(microsecond=0).isoformat() + "Z",
        "totals": found["totals"] | {"declines": study.declines or 0, "withdrawals": study.withdrawals or 0,
                                     **counts_of_test_data(study)},
        "cells": found["cells"],
        "flow_by_cell": found["flow_by_cell"],
        "median_duration_seconds": median_duration_seconds(study, include_pilot),
        "dropout_by_step": found["dropout_by_step"],
        "outcome_by_cell_enabled": show_outcome,
        "conformity_by_cell": conformity_by_cell(study, include_pilot) if show_outcome else {},
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
            .where(Participant.study_id.in_(ids), Participant.is_pilot.is_(False),
                   Participant.is_simulated.is_(False))
            .group_by(Participant.study_id, Participant.status)).all()
        for study_id, status, count in rows:
            counts.setdefault(study_id, {})[status] = count
    return [{"study": study, "role": role,
             "counts": {status: counts.get(study.id, {}).get(status, 0) for status in STATUSES}}
            for study, role in studies]
