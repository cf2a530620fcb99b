"""Peer studies at low traffic: nobody waits longer than a peer could plausibly come, the waiting page never
promises more than it said before, and the wait is exported apart from the time with the suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from builders import participant_row_at, past_review, recent_entries
from exporting import export, read_csv
from webapp.domain.peer_wait import WINDOW, plan_wait
from webapp.export import participant_id
from webapp.extensions import db
from webapp.models import Event

NOW = datetime(2026, 3, 1, 12, 0, 0)


def ago(*seconds: float) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


# ---------------------------------------------------------------- the plan (pure)
def test_alone_in_the_cell_nobody_waits():
    plan = plan_wait(ago(180), NOW, longest_seconds=60, needed=1)  # only the participant's own entry
    assert (plan.seconds, plan.reason) == (0, "no_traffic")


def test_one_earlier_entrant_minutes_ago_is_no_reason_to_wait():
    plan = plan_wait(ago(180, 500), NOW, longest_seconds=60, needed=1)
    assert plan.seconds == 0 and plan.reason == "unlikely"


def test_at_steady_traffic_the_wait_is_shorter_than_the_longest_and_shrinks_as_traffic_grows():
    every_10s = plan_wait(ago(*range(0, 100, 10)), NOW, longest_seconds=120, needed=1)
    every_5s = plan_wait(ago(*range(0, 50, 5)), NOW, longest_seconds=120, needed=1)
    assert every_10s.reason == "expected" and 0 < every_10s.seconds < 120
    assert 0 < every_5s.seconds < every_10s.seconds
    assert every_10s.rate_per_minute == 6.0


def test_more_peers_wanted_means_a_longer_wait_never_past_the_longest():
    one = plan_wait(ago(*range(0, 100, 10)), NOW, longest_seconds=120, needed=1)
    three = plan_wait(ago(*range(0, 100, 10)), NOW, longest_seconds=120, needed=3)
    many = plan_wait(ago(*range(0, 100, 10)), NOW, longest_seconds=40, needed=8)
    assert one.seconds < three.seconds
    assert (many.seconds, many.reason) == (40, "longest")


def test_a_quiet_spell_since_the_last_burst_lowers_the_estimate():
    burst_then_quiet = ago(*(1200 + s for s in range(10)))  # ten entries in ten seconds, twenty minutes ago
    plan = plan_wait(burst_then_quiet, NOW, longest_seconds=60, needed=1)
    assert plan.seconds == 0 and plan.reason == "unlikely"


def test_only_the_last_entries_within_the_hour_count():
    old = ago(4000, 4010, 4020)  # outside the horizon: say nothing about now
    assert plan_wait([*old, NOW], NOW, 60, 1).reason == "no_traffic"
    many = ago(*range(0, 10 * 100, 10))  # a hundred entries: the last WINDOW decide
    assert plan_wait(many, NOW, 120, 1) == plan_wait(many[:WINDOW], NOW, 120, 1)


def test_no_wait_is_planned_when_no_peer_is_wanted_or_the_time_is_used_up():
    assert plan_wait(ago(*range(0, 100, 10)), NOW, 120, 0).reason == "none_needed"
    assert (plan_wait(ago(*range(0, 100, 10)), NOW, -5, 1).seconds, plan_wait(ago(0, 10), NOW, -5, 1).reason) == (
        0, "time_used")


# ---------------------------------------------------------------- the waiting page and the export
def events_of(app, participant_id_, kind):
    with app.app_context():
        return [e.data for e in db.session.execute(
            select(Event).where(Event.participant_id == participant_id_, Event.kind == kind)
            .order_by(Event.id)).scalars()]


def test_the_first_participant_of_a_peer_study_gets_suggestions_without_waiting(app, peer_study, clock):
    walker = past_review(app, peer_study)
    assert "Collecting suggestions" not in walker.page and "suggestion" in walker.page
    me = walker.participant().id
    assert events_of(app, me, "peer_wait_planned")[0]["reason"] == "no_traffic"
    assert len(events_of(app, me, "peer_wait_ended")) == 1


def test_with_traffic_the_page_counts_down_the_planned_wait_and_never_promises_more(app, peer_study, clock):
    recent_entries(app, peer_study, range(10, 100, 10))  # nine entrants in the last 90 s
    walker = past_review(app, peer_study)
    me = walker.participant().id
    assert "Collecting suggestions" in walker.page
    planned = events_of(app, me, "peer_wait_planned")
    assert len(planned) == 1 and planned[0]["reason"] == "expected" and 0 < planned[0]["seconds"] < 120
    first_promise = planned[0]["seconds"]
    assert f"at most {first_promise} seconds" in walker.page or f"at most {first_promise - 1} seconds" in walker.page

    recent_entries(app, peer_study, [0, 0, 0, 0, 0])  # a rush after the plan does not lengthen it
    clock.advance(5)
    page = walker.get("/suggestions").get_data(as_text=True)
    promised = int(page.split("at most ")[1].split()[0])
    assert promised <= first_promise - 4
    assert len(events_of(app, me, "peer_wait_planned")) == 1  # planned once

    clock.advance(first_promise)
    page = walker.get("/suggestions").get_data(as_text=True)
    assert "Collecting suggestions" not in page
    [ended] = events_of(app, me, "peer_wait_ended")
    assert first_promise <= ended["seconds"] < first_promise + 30


def test_seconds_waiting_is_exported_apart_from_the_time_on_the_suggestions_step(app, peer_study, clock, tmp_path):
    recent_entries(app, peer_study, range(10, 100, 10))
    walker = past_review(app, peer_study)
    assert "Collecting suggestions" in walker.page
    clock.advance(150)
    walker.get("/suggestions")
    clock.advance(7)  # seven seconds with the suggestions
    for step in ("suggestions", "revise", "closeness", "evaluation", "checks", "demographics"):
        if walker.current_step() == step:
            walker.answer(step)
    assert walker.current_step() is None, walker.path
    me = walker.participant().id
    export(app, tmp_path / "out", slug=peer_study)
    with app.app_context():
        pid = participant_id(peer_study, me)
    done = next(r for r in read_csv(tmp_path / "out" / "participants.csv") if r["participant_id"] == pid)
    entry = next(r for r in read_csv(tmp_path / "out" / "entries.csv") if r["participant_id"] == pid)
    assert 150 <= float(done["seconds_waiting"]) < 180
    assert 7 <= float(done["seconds_suggestions"]) < 30  # the wait is not in it
    assert entry["seconds_waiting"] == done["seconds_waiting"]
    waiting_rows = [r["seconds_waiting"] for r in read_csv(tmp_path / "out" / "entries.csv")]
    assert waiting_rows.count("") == 9  # the entrants who never reached their suggestions
    import json
    book = json.loads((tmp_path / "out" / "codebook.json").read_text())
    described = json.dumps(book)
    assert "seconds_waiting" in described and "not part of seconds_suggestions" in described


def test_a_scripted_study_has_no_waiting_column(app, tmp_path):
    participant_row_at(app, "done")  # a completed participant; the pages on the way are not under test here
    export(app, tmp_path / "out")
    assert "seconds_waiting" not in (tmp_path / "out" / "participants.csv").read_text().splitlines()[0]
