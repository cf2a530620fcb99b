"""What a study's studio page shows: cells with their occupancy, versions, recent actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from .. import journey
from ..extensions import db
from ..models import Experimenter, StudioAction, Study, StudyVersion

RECENT_ACTIONS = 20


def cells_with_occupancy(study: Study) -> list[dict]:
    if study.current_version is None:
        return []
    occupied = journey.occupied_counts(study)
    return [{"key": c.key, "visibility": c.visibility, "relation": c.relation, "target_n": c.target_n,
             "occupied": occupied.get(c.key, 0)} for c in study.current_version.definition.cells]


def versions_of(study: Study) -> Sequence[Any]:
    return db.session.execute(select(StudyVersion.number, StudyVersion.loaded_at, StudyVersion.source_name)
                              .where(StudyVersion.study_id == study.id)
                              .order_by(StudyVersion.number.desc())).all()


def recent_actions(study: Study) -> Sequence[Any]:
    return db.session.execute(select(StudioAction.at, StudioAction.action, StudioAction.detail, Experimenter.email)
                              .outerjoin(Experimenter, Experimenter.id == StudioAction.experimenter_id)
                              .where(StudioAction.study_id == study.id)
                              .order_by(StudioAction.id.desc()).limit(RECENT_ACTIONS)).all()


def cell_keys(study: Study) -> set[str]:
    return set() if study.current_version is None else {c.key for c in study.current_version.definition.cells}
