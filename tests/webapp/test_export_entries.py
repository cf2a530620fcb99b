"""entries.csv: every consented entry, whatever became of it, so attrition can be analysed by cell."""

from __future__ import annotations

import json
import secrets

from exporting import export, read_csv, walk
from webapp import journey
from webapp.extensions import db
from webapp.models import Participant
from webapp.studies import study_by_slug


def _enter_and_move(app, steps: int, *, pilot_cell: str | None = None) -> int:
    """A participant entered through the journey functions and moved on `steps` steps."""
    with app.app_context():
        entry = journey.enter(study_by_slug("demo"), secrets.token_urlsafe(18), None, pilot_cell=pilot_cell)
        participant = entry.participant
        for _ in range(steps):
            if participant.step == "design":
                journey.submit_initial_design(participant)
            journey.advance(participant)
        db.session.commit()
        return participant.id


def test_entries_hold_every_consented_entry_with_its_last_step_and_outcome(app, tmp_path):
    from webapp.export import participant_id

    completed = walk(app)
    failed_attention = walk(app, attention="Blue")
    timed_out = _enter_and_move(app, 2)
    active = _enter_and_move(app, 1)
    withdrawn = _enter_and_move(app, 1)
    pilot = _enter_and_move(app, 1, pilot_cell="public/friend")
    with app.app_context():
        journey.time_out(db.session.get(Participant, timed_out))
        journey.withdraw(db.session.get(Participant, withdrawn))
        db.session.commit()
        steps = {pid: db.session.get(Participant, pid).step for pid in (timed_out, active)}
        flow = study_by_slug("demo").current_version.definition.flow

    export(app, tmp_path / "out")
    rows = {r["participant_id"]: r for r in read_csv(tmp_path / "out" / "entries.csv")}
    with app.app_context():
        ids = {name: participant_id("demo", pid) for name, pid in
               [("completed", completed), ("failed", failed_attention), ("timed_out", timed_out),
                ("active", active), ("withdrawn", withdrawn), ("pilot", pilot)]}
    assert set(rows) == {ids["completed"], ids["failed"], ids["timed_out"], ids["active"]}
    assert [(rows[ids[n]]["status"], rows[ids[n]]["outcome"], rows[ids[n]]["last_step"]) for n in
            ("completed", "failed", "timed_out", "active")] == [
        ("completed", "completed", "done"), ("completed", "attention_failed", "done"),
        ("timed_out", "timed_out", steps[timed_out]), ("active", "", steps[active])]
    # seconds per step exist exactly for the steps an entry completed
    assert rows[ids["completed"]]["steps_completed"] == str(len(flow))
    assert all(rows[ids["completed"]][f"seconds_{s}"] != "" for s in flow)
    reached = flow.index(steps[active])
    assert rows[ids["active"]]["steps_completed"] == str(reached)
    assert [rows[ids["active"]][f"seconds_{s}"] != "" for s in flow] == [i < reached for i in range(len(flow))]
    # the completed participants are the same people in participants.csv
    completed_ids = {r["participant_id"] for r in read_csv(tmp_path / "out" / "participants.csv")}
    assert completed_ids == {ids["completed"], ids["failed"]}

    # pilot entries appear only when asked for, flagged
    export(app, tmp_path / "with_pilot", include_pilot=True)
    with_pilot = {r["participant_id"]: r for r in read_csv(tmp_path / "with_pilot" / "entries.csv")}
    assert with_pilot[ids["pilot"]]["pilot"] == "true" and with_pilot[ids["active"]]["pilot"] == "false"

    book = json.loads((tmp_path / "out" / "codebook.json").read_text())
    described = [c["name"] for c in book["files"]["entries.csv"]]
    assert described == list(rows[ids["completed"]].keys())
