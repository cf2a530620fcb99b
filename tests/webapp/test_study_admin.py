"""Whole-study commands: list, status, copy, delete (asks for the slug again), purge test data."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from webapp import journey
from webapp.extensions import db
from webapp.models import Event, Participant, StudioAction, Study, StudyMember, StudyVersion
from webapp.studies import study_by_slug


def enter(app, slug="demo", **flags) -> int:
    with app.app_context():
        entry = journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), None, **flags)
        assert entry.outcome == "entered", entry.outcome
        db.session.commit()
        return entry.participant.id


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["study", *args], **kwargs)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_list_shows_status_version_and_real_participants_apart_from_test_ones(app):
    enter(app)
    enter(app, simulated=True)
    enter(app, simulated=True)
    result = run(app, "list")
    assert result.exit_code == 0, result.output
    demo = next(line for line in result.output.splitlines() if line.startswith("demo "))
    assert demo.split()[:6] == ["demo", "open", "1", "0", "1", "2"]


def test_status_commands_change_the_status_and_record_the_action(app):
    assert run(app, "pause", "demo").output.strip() == "demo: paused"
    assert run(app, "pause", "demo").output.strip() == "demo: paused (unchanged)"
    assert run(app, "archive", "demo").output.strip() == "demo: archived"
    with app.app_context():
        assert journey.enter(study_by_slug("demo"), secrets.token_urlsafe(18), None).outcome == "closed"
        details = db.session.execute(select(StudioAction.detail).where(StudioAction.action == "status")
                                     .order_by(StudioAction.id)).scalars().all()
    assert details == ["open -> paused", "paused -> archived"]


def test_an_unknown_study_is_a_clear_error(app):
    result = run(app, "open", "nosuch")
    assert result.exit_code != 0 and "no study 'nosuch'" in result.output


def test_copy_makes_a_paused_study_with_the_same_definition_and_members(app):
    with app.app_context():
        from webapp.models import Experimenter
        owner = Experimenter(email="o@lab.example", password_hash="x")
        db.session.add(owner)
        db.session.flush()
        db.session.add(StudyMember(study_id=study_by_slug("demo").id, experimenter_id=owner.id, role="owner"))
        db.session.commit()
    result = run(app, "copy", "demo", "demo-wave2")
    assert result.exit_code == 0, result.output
    with app.app_context():
        original, copy = study_by_slug("demo"), study_by_slug("demo-wave2")
        assert copy.status == "paused" and copy.title == original.title
        assert copy.current_version.definition.slug == "demo-wave2"
        assert copy.current_version.definition.cells == original.current_version.definition.cells
        assert [(m.experimenter_id, m.role) for m in copy.members] == [(m.experimenter_id, m.role) for m in original.members]
    assert "exists already" in run(app, "copy", "demo", "demo-wave2").output
    assert "not a usable slug" in run(app, "copy", "demo", "Bad Slug!").output


def test_delete_asks_for_the_slug_again_and_keeps_the_study_on_a_mismatch(app):
    enter(app)
    refused = run(app, "delete", "demo", input="dem\n")
    assert refused.exit_code != 0 and "nothing was deleted" in refused.output
    assert count(app, Study, Study.slug == "demo") == 1
    done = run(app, "delete", "demo", input="demo\n")
    assert done.exit_code == 0, done.output
    assert "deleted, with 1 participant(s)" in done.output
    assert count(app, Study) == 0 and count(app, StudyVersion) == 0
    assert count(app, Participant) == 0 and count(app, Event) == 0


def test_delete_with_confirm_option_runs_without_a_prompt(app):
    assert run(app, "delete", "demo", "--confirm", "demo").exit_code == 0
    assert count(app, Study) == 0


def test_purge_test_data_deletes_pilot_and_simulated_participants_only(app):
    real = enter(app)
    enter(app, simulated=True)
    with app.app_context():
        pilot_cell = study_by_slug("demo").current_version.definition.cells[0].key
    enter(app, pilot_cell=pilot_cell)
    result = run(app, "purge-test-data", "demo")
    assert result.exit_code == 0, result.output
    assert "deleted 1 simulated and 1 pilot participant(s)" in result.output
    with app.app_context():
        assert db.session.execute(select(Participant.id)).scalars().all() == [real]
        assert db.session.scalar(select(func.count()).select_from(Event)
                                 .where(Event.participant_id != real)) == 0
        assert db.session.execute(select(StudioAction.detail).where(StudioAction.action == "test_data_purged")
                                  ).scalar_one() == "1 simulated, 1 pilot"
