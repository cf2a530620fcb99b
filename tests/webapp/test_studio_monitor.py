"""The studio monitor: its counts match the participants, with few queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import (
    consent,
    logged_in,
    new_participant,
)


# ---------------------------------------------------------------- monitoring
def test_the_monitor_counts_match_the_participants(app, fast_hashes):
    from webapp import journey, monitor
    from webapp.extensions import db
    from webapp.models import Participant, utcnow
    from webapp.studies import study_by_slug

    client = logged_in(app)
    # Two who finished, with known durations and conformity; one under way; one timed out.
    done = [new_participant(app, step="done") for _ in range(2)]
    active = new_participant(app, step="design")
    timed = new_participant(app, step="suggestions")
    simulated = new_participant(app, step="revise", simulated=True)
    pilot = new_participant(app, step="done", pilot_cell="public/friend")
    visitor = app.test_client()  # a real decline through the consent page
    assert consent(visitor, decline=True).status_code == 303
    now = utcnow()
    with app.app_context():
        for participant_id, minutes, share in zip(done + [pilot], (10, 20, 99), (0.0, 2 / 3, 1.0)):
            participant = db.session.get(Participant, participant_id)
            participant.entered_at = now - timedelta(minutes=minutes)
            participant.completed_at = now
            participant.conformity = share
        journey.time_out(db.session.get(Participant, timed))
        db.session.get(Participant, active).deadline_at = now - timedelta(minutes=1)  # overdue, not yet timed out
        db.session.commit()
        cells = {pid: db.session.get(Participant, pid).cell for pid in done + [active, timed, simulated, pilot]}

        study = study_by_slug("demo")
        summary = monitor.study_summary(study)
        totals = summary["totals"]
        # test data (the simulated and the pilot participant) are left out, and counted apart
        assert (totals["active"], totals["completed"], totals["timed_out"]) == (1, 2, 1)
        assert (totals["declines"], totals["withdrawals"], totals["simulated"], totals["pilot"]) == (1, 0, 0, 0)
        assert (totals["simulated_all"], totals["pilot_all"]) == (1, 1)
        assert totals["overdue"] == 1
        for key, cell in summary["cells"].items():
            assert cell["target_n"] == 100
            assert cell["completed"] == sum(1 for pid in done if cells[pid] == key)
            assert cell["active"] == sum(1 for pid in (active,) if cells[pid] == key)
            assert cell["timed_out"] == (1 if cells[timed] == key else 0)
            assert cell["occupied"] == cell["active"] + cell["completed"]
        assert summary["median_duration_seconds"] == pytest.approx(15 * 60, abs=1)
        assert summary["dropout_by_step"] == {"design": {"timed_out": 0, "active": 1},
                                              "suggestions": {"timed_out": 1, "active": 0}}
        expected = {}
        for pid, share in zip(done, (0.0, 2 / 3)):
            expected.setdefault(cells[pid], []).append(share)
        assert summary["conformity_by_cell"] == {}  # the demo does not turn the outcome by cell on
        for key, value in monitor.conformity_by_cell(study).items():
            shares = expected.get(key, [])
            assert value["n"] == len(shares)
            assert value["mean"] == (pytest.approx(sum(shares) / len(shares), abs=1e-3) if shares else None)

        with_pilot = monitor.study_summary(study, include_pilot=True)
        assert with_pilot["totals"]["completed"] == 3 and with_pilot["totals"]["pilot"] == 1
        assert with_pilot["totals"]["simulated"] == 1 and with_pilot["totals"]["active"] == 2
        assert with_pilot["median_duration_seconds"] == pytest.approx(20 * 60, abs=1)
        assert (monitor.conformity_by_cell(study, include_pilot=True)["public/friend"]["n"]
                == expected.get("public/friend", []).__len__() + 1)

    data = client.get("/studio/studies/demo/monitor.json").get_json()
    assert data["totals"]["completed"] == 2 and data["totals"]["declines"] == 1 and data["include_pilot"] is False
    assert client.get("/studio/studies/demo/monitor.json?include_pilot=1").get_json()["totals"]["completed"] == 3
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    assert 'data-key="totals.completed">2<' in html and 'data-key="totals.declines">1<' in html
    assert "15 min 00 s" in html and "<svg" in html and 'class="chart-bar"' in html
    assert 'style="' not in html and "<script>" not in html
    assert "studio.js" in html and 'http-equiv="refresh"' not in html and ">reload</a>" in html
    assert 'data-key="totals.completed">3<' in client.get("/studio/studies/demo/monitor?include_pilot=1").get_data(as_text=True)


def test_monitor_queries_are_few(app, fast_hashes):
    """A fixed number of statements whatever the number of participants (no N+1)."""
    from sqlalchemy import event

    from webapp import monitor
    from webapp.extensions import db
    from webapp.studies import study_by_slug

    def statements(n_extra):
        for _ in range(n_extra):
            new_participant(app, step="design")
        with app.app_context():
            study = study_by_slug("demo")
            _ = study.current_version.definition
            seen = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                monitor.study_summary(study, include_pilot=True)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

    assert statements(1) == statements(5) <= 5
