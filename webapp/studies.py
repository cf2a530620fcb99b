"""Studies in the database: loading a definition file creates a new version when it changed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from experiments.definition import StudyDefinition, load_study

from .extensions import db
from .models import Experimenter, Participant, Study, StudyMember, StudyVersion


def install_definition(definition: StudyDefinition, source_name: str = "",
                       owner: Experimenter | None = None, status: str = "open") -> tuple[Study, StudyVersion, bool]:
    """Create the study or add a version; unchanged files add nothing. Returns (study, version, created).

    `status` applies to a new study only; a new version never changes whether a study is open.
    """
    study = db.session.execute(select(Study).where(Study.slug == definition.slug)).scalar_one_or_none()
    if study is None:
        study = Study(slug=definition.slug, title=definition.title, status=status)
        db.session.add(study)
        db.session.flush()
    current = study.current_version
    if current is not None and current.fingerprint == definition.fingerprint():
        created = False
        version = current
    else:
        latest = db.session.scalar(select(func.max(StudyVersion.number)).where(StudyVersion.study_id == study.id))
        number = (latest or 0) + 1
        version = StudyVersion(study_id=study.id, number=number, definition_json=definition.to_json(),
                               fingerprint=definition.fingerprint(), source_name=source_name)
        db.session.add(version)
        db.session.flush()
        study.current_version_id = version.id
        study.title = definition.title
        created = True
    if owner is not None and db.session.get(StudyMember, (study.id, owner.id)) is None:
        db.session.add(StudyMember(study_id=study.id, experimenter_id=owner.id, role="owner"))
    return study, version, created


def load_study_file(path: str | Path, owner: Experimenter | None = None,
                    status: str = "open") -> tuple[Study, StudyVersion, bool]:
    definition = load_study(path)
    return install_definition(definition, Path(path).name, owner, status)


def study_by_slug(slug: str, with_version: bool = False) -> Study | None:
    """`with_version`: its current version comes in the same query (participant pages need its definition)."""
    query = select(Study).where(Study.slug == slug)
    if with_version:
        query = query.options(joinedload(Study.current_version))
    return db.session.execute(query).scalar_one_or_none()


# ---------------------------------------------------------------- the seam for experiments.simulate
def current_definition(app, slug: str) -> StudyDefinition:
    """The definition a loaded study runs now; LookupError names the database when there is none."""
    with app.app_context():
        study = study_by_slug(slug)
        if study is None or study.current_version is None:
            raise LookupError(f"no study {slug!r} in {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]} "
                              f"database; load it first or pass the path to its TOML file")
        return study.current_version.definition


def install_study_file(app, path: str | Path) -> str:
    """Load (or update) a study file in its own transaction; returns its slug."""
    with app.app_context():
        study, _version, _created = load_study_file(path)
        slug = study.slug
        db.session.commit()
    return slug


def open_studies() -> list[Study]:
    """The studies the home page lists: open ones, by slug."""
    return list(db.session.execute(select(Study).where(Study.status == "open").order_by(Study.slug)).scalars())


def posted_designs(study: Study, me: Participant | None, limit: int = 200) -> list[Participant]:
    """The newest public first designs of a study's gallery, with their suggestions.

    Pilots see pilots; real participants never see pilot or simulated designs.
    """
    return list(db.session.execute(
        select(Participant).where(Participant.study_id == study.id, Participant.visibility == "public",
                                  Participant.initial_design_json.is_not(None),
                                  Participant.is_pilot.is_(bool(me and me.is_pilot)),
                                  Participant.is_simulated.is_(bool(me and me.is_simulated)))
        .options(selectinload(Participant.suggestions))
        .order_by(Participant.id.desc()).limit(limit)).scalars())
