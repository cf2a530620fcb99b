"""Who is asking: turns the session and login into a domain Viewer."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from .domain.visibility import Viewer
from .extensions import db
from .models import Participant, StudyMember


def experimenter_study_ids() -> frozenset[int]:
    if not getattr(current_user, "is_authenticated", False):
        return frozenset()
    rows = db.session.execute(select(StudyMember.study_id).where(StudyMember.experimenter_id == current_user.id))
    return frozenset(rows.scalars())


def viewer_for(participant: Participant | None) -> Viewer:
    return Viewer(participant_id=participant.id if participant else None,
                  study_id=participant.study_id if participant else None,
                  experimenter_study_ids=experimenter_study_ids())
