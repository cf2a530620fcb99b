"""Managing whole studies: status, copies, deletion and purging test data.

One home for these actions so the command line and the studio do the same thing and
record it the same way (a StudioAction row in the same transaction as the change).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, func, or_, select, update

from experiments.definition import SLUG_RE

from .database import lock
from .extensions import db
from .models import Participant, StudioAction, Study, StudyMember, StudyVersion, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

STATUSES = ("open", "paused", "closed", "archived")
STATUS_OF_ACTION = {"open": "open", "pause": "paused", "close": "closed", "archive": "archived"}


class StudyAdminError(ValueError):
    """An action that cannot be done; the message says why, for the person who asked."""


@dataclass(frozen=True)
class StudySummary:
    slug: str
    title: str
    status: str
    version: int | None
    completed: int
    active: int
    test_participants: int


def record_action(study: Study, action: str, detail: str = "", experimenter_id: int | None = None) -> None:
    db.session.add(StudioAction(study_id=study.id, experimenter_id=experimenter_id, at=utcnow(),
                                action=action, detail=detail[:200]))


def summaries() -> list[StudySummary]:
    """Every study with its counts of real participants (test participants counted apart)."""
    real = ~or_(Participant.is_pilot, Participant.is_simulated)
    counts = {
        (study_id, kind): n for study_id, kind, n in db.session.execute(
            select(Participant.study_id,
                   func.coalesce(Participant.status, "active").label("kind"), func.count())
            .where(real).group_by(Participant.study_id, "kind"))
    }
    tests = dict(db.session.execute(
        select(Participant.study_id, func.count()).where(~real).group_by(Participant.study_id)).all())
    rows = db.session.execute(
        select(Study, StudyVersion.number).outerjoin(StudyVersion, StudyVersion.id == Study.current_version_id)
        .order_by(Study.slug)).all()
    return [StudySummary(study.slug, study.title, study.status, number,
                         counts.get((study.id, "completed"), 0), counts.get((study.id, "active"), 0),
                         tests.get(study.id, 0))
            for study, number in rows]


def set_status(study: Study, action: str, experimenter_id: int | None = None) -> tuple[str, str]:
    """Open, pause, close or archive; returns (before, after). An archived study admits nobody."""
    if action not in STATUS_OF_ACTION:
        raise StudyAdminError(f"unknown action {action!r}; use one of {', '.join(STATUS_OF_ACTION)}")
    study = lock(Study, study.id)
    before, after = study.status, STATUS_OF_ACTION[action]
    if before != after:
        study.status = after
        record_action(study, "status", f"{before} -> {after}", experimenter_id)
    return before, after


def copy_study(study: Study, new_slug: str, experimenter_id: int | None = None) -> Study:
    """A new, paused study with the current definition under another slug; members come along."""
    if not SLUG_RE.fullmatch(new_slug):
        raise StudyAdminError(f"{new_slug!r} is not a usable slug (2–40 characters of a–z, 0–9 and '-', "
                              "starting with a letter or digit)")
    if db.session.execute(select(Study.id).where(Study.slug == new_slug)).first() is not None:
        raise StudyAdminError(f"a study {new_slug!r} exists already")
    if study.current_version is None:
        raise StudyAdminError(f"study {study.slug!r} has no definition to copy")
    from .studies import install_definition

    definition = replace(study.current_version.definition, slug=new_slug)
    copy, _version, _created = install_definition(definition, f"copy of {study.slug}", status="paused")
    for member in db.session.execute(select(StudyMember).where(StudyMember.study_id == study.id)).scalars():
        db.session.add(StudyMember(study_id=copy.id, experimenter_id=member.experimenter_id, role=member.role))
    record_action(copy, "copied", f"from {study.slug}", experimenter_id)
    record_action(study, "copied_to", new_slug, experimenter_id)
    return copy


def delete_study(study: Study) -> int:
    """Delete the study and everything in it; returns how many participants were deleted."""
    study = lock(Study, study.id)
    deleted = cast("CursorResult[Any]", db.session.execute(  # a DELETE's result is a cursor result (rowcount)
        delete(Participant).where(Participant.study_id == study.id)))
    n = deleted.rowcount
    db.session.execute(update(Study).where(Study.id == study.id).values(current_version_id=None))
    db.session.execute(delete(Study).where(Study.id == study.id))
    db.session.expunge_all()
    return n


def purge_test_data(study: Study, experimenter_id: int | None = None) -> dict[str, int]:
    """Delete the study's pilot and simulated participants with all their rows.

    Real participants are untouched; suggestions a test participant made to a real one lose
    their link to it (the foreign keys set it to NULL), as on withdrawal.
    """
    study = lock(Study, study.id)
    counts = dict(db.session.execute(
        select(Participant.is_simulated, func.count())
        .where(Participant.study_id == study.id, or_(Participant.is_pilot, Participant.is_simulated))
        .group_by(Participant.is_simulated)).all())
    result = {"simulated": counts.get(True, 0), "pilot": counts.get(False, 0)}
    db.session.execute(delete(Participant).where(
        Participant.study_id == study.id, or_(Participant.is_pilot, Participant.is_simulated)))
    record_action(study, "test_data_purged",
                  f"{result['simulated']} simulated, {result['pilot']} pilot", experimenter_id)
    return result


DEMO_SLUG = "demo"


def give_demo_an_owner() -> str | None:
    """The seeded demo study belongs to the first experimenter account created (the lowest id).

    Called when the demo is seeded and when an account is created from the command line;
    it does nothing if the demo is absent or has any member already. Returns the owner's
    e-mail when it made one (the caller commits).
    """
    from .models import Experimenter

    demo = db.session.execute(select(Study).where(Study.slug == DEMO_SLUG)).scalar_one_or_none()
    if demo is None:
        return None
    if db.session.execute(select(StudyMember.experimenter_id).where(StudyMember.study_id == demo.id)).first():
        return None
    first = db.session.execute(select(Experimenter).order_by(Experimenter.id).limit(1)).scalar_one_or_none()
    if first is None:
        return None
    db.session.add(StudyMember(study_id=demo.id, experimenter_id=first.id, role="owner"))
    record_action(demo, "member_joined", f"{first.email} as owner (first experimenter owns the demo)", first.id)
    return first.email
