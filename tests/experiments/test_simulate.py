"""Simulated participants through the real pages: completion, marking, peers, limits, and recovery."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from experiments.behaviour import BehaviourParams
from experiments.bots import Bot, BotResult, PageReader, UrlTransport
from experiments.definition import EXPERIMENTS_DIR
from experiments.simulate import install_study, main, run_bots, run_simulation

REPO_ROOT = Path(__file__).resolve().parents[2]


def study_variant(tmp_path: Path, source: str, slug: str, **changes) -> Path:
    """A copy of a shipped study file under another slug, with some `key = value` lines replaced."""
    text = (EXPERIMENTS_DIR / source).read_text("utf-8")
    text = re.sub(r'^slug = ".*"$', f'slug = "{slug}"', text, count=1, flags=re.M)
    for key, value in changes.items():
        text, count = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        assert count == 1, key
    path = tmp_path / f"{slug}.toml"
    path.write_text(text, "utf-8")
    return path


def participants(app, slug):
    from webapp.extensions import db
    from webapp.models import Participant, Study
    with app.app_context():
        rows = db.session.execute(select(Participant).join(Study, Participant.study_id == Study.id)
                                  .where(Study.slug == slug).order_by(Participant.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


# ---------------------------------------------------------------- in process, both databases
@pytest.mark.slow
def test_small_run_completes_and_marks_participants_simulated(app):
    summary = run_simulation(app, "demo", 6, seed=3, progress=False, concurrency=3)
    assert summary.errors == []
    assert summary.completed == 6 and summary.outcomes == {"completed": 6}
    assert sum(summary.cells.values()) == 6 and set(summary.cells) <= {"public/friend", "private/friend"}
    assert all(r.completion_code == "DEMO-DONE" for r in summary.results)
    assert summary.requests >= 6 * 15 and summary.participants_per_second > 0
    rows = participants(app, "demo")
    assert len(rows) == 6
    by_cell = {}
    for row, result in zip(rows, summary.results):
        assert row.is_simulated and row.status == "completed" and row.outcome == "completed"
        assert row.visibility == result.visibility and row.relation == result.relation == "friend"
        person = result.person
        # The stored scores are exactly the ones the behaviour model aimed at.
        assert row.holism == pytest.approx(person.holism)
        assert row.conformity == pytest.approx(person.conformity)
        assert row.closeness == pytest.approx(person.closeness)
        assert row.evaluation == pytest.approx(person.evaluation)
        assert row.attention_passed is True and row.n_suggestions == 3
        by_cell[row.cell] = by_cell.get(row.cell, 0) + 1
    assert by_cell == dict(summary.cells)


@pytest.mark.slow
def test_runs_are_reproducible_for_a_seed(make_app, tmp_path):
    """Same seed, fresh database (the second always SQLite): the same people, cells and scores."""
    first, second = make_app(), make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'second.sqlite3'}")
    a = run_simulation(first, "demo", 4, seed=8, progress=False)
    b = run_simulation(second, "demo", 4, seed=8, progress=False)
    columns = ("visibility", "holism", "conformity", "closeness", "evaluation")
    assert [[getattr(r, c) for c in columns] for r in participants(first, "demo")] == \
           [[getattr(r, c) for c in columns] for r in participants(second, "demo")]
    assert [r.cell for r in a.results] == [r.cell for r in b.results]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_attention_failures_are_recorded(app):
    summary = run_simulation(app, "demo", 2, seed=1, params=BehaviourParams(attention_fail_rate=1.0),
                             progress=False)
    assert summary.outcomes == {"attention_failed": 2}
    assert {r.completion_code for r in summary.results} == {"DEMO-ATTN"}
    assert all(row.attention_passed is False and row.outcome == "attention_failed"
               for row in participants(app, "demo"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_full_study_stops_the_run(app, tmp_path):
    slug = install_study(app, study_variant(tmp_path, "demo.toml", "tiny", target_n_per_cell=1))
    summary = run_simulation(app, slug, 5, seed=2, progress=False)
    assert summary.completed == 2
    assert summary.outcomes == {"completed": 2, "full": 1}
    assert summary.stopped and "full" in summary.stopped
    assert "stopped early" in summary.format()
    assert len(participants(app, slug)) == 2


@pytest.mark.slow
def test_peer_review_study_through_the_command_line(app, tmp_path, monkeypatch, capsys):
    """Real peer input: bots review each other's designs; the first in a cell finds nothing to review.

    With peer_wait_seconds = 0 nobody waits (no sleeping in tests), so in lock-step the
    peers' suggestions arrive after their targets moved on and scripted ones fill in.
    """
    import webapp
    from webapp.extensions import db
    from webapp.models import PeerSuggestion, Suggestion

    path = study_variant(tmp_path, "visibility_relation.toml", "peers", peer_wait_seconds=0,
                         relation='["friend"]')
    monkeypatch.setattr(webapp, "create_app", lambda: app)
    code = main([str(path), "--participants", "8", "--seed", "4", "--concurrency", "4", "--no-progress",
                 "--json", "--h1", "0.1"])
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out)
    assert summary["completed"] == 8 and summary["errors"] == []
    assert set(summary["cells"]) == {"public/friend", "private/friend"}
    rows = participants(app, "peers")
    assert len(rows) == 8 and all(r.is_simulated and r.status == "completed" for r in rows)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PeerSuggestion)) >= 4
        assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 8 * 2


def test_against_a_running_server(live_server, app):
    key = app.config["SIMULATION_KEY"]
    summary = run_simulation(lambda: UrlTransport(live_server.url, key), "demo", 2, seed=5, progress=False)
    assert summary.errors == [] and summary.outcomes == {"completed": 2}
    assert all(r.is_simulated for r in participants(app, "demo"))


def test_without_the_key_participants_are_not_marked(live_server, app):
    summary = run_simulation(lambda: UrlTransport(live_server.url, "wrong"), "demo", 1, seed=5, progress=False)
    assert summary.completed == 1
    assert [r.is_simulated for r in participants(app, "demo")] == [False]


def test_unknown_study_is_a_clear_error(app, monkeypatch, capsys):
    import webapp
    monkeypatch.setattr(webapp, "create_app", lambda: app)
    assert main(["nope", "--participants", "1", "--seed", "1", "--no-progress"]) == 2
    assert "no study 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------- pieces without a server
def test_page_reader_finds_forms_suggestions_and_codes():
    html = """<html><head><meta http-equiv="refresh" content="5"><meta name="csrf-token" content="tok"></head>
    <body><h1>Revise  your shirt</h1><p class="notice public">Public</p>
    <article class="suggestion" id="suggestion-12" data-attribute="collar" data-level="button_down"></article>
    <form method="post" action="/s/x/revise/suggestions/12"><input type="hidden" name="csrf_token" value="c1">
      <input type="hidden" name="decision" value="adopt"></form>
    <form method="post"><input type="hidden" name="csrf_token" value="c1">
      <fieldset><legend>Collar</legend>
      <input type="radio" name="collar" value="kent" checked><input type="radio" name="collar" value="button_down">
      </fieldset>
      <input type="text" name="monogram" value="AB"><select name="gender"><option value="">-</option>
      <option value="woman">W</option></select><input type="submit" name="submit" value="Go"></form>
    <p class="code" id="completion-code">CODE-1</p></body></html>"""
    page = PageReader(html)
    assert page.refresh == 5.0 and page.csrf == "c1" and page.h1 == "Revise your shirt"
    assert page.visibility == "public" and page.completion_code == "CODE-1"
    assert [(s.id, s.attribute, s.level) for s in page.suggestions] == [(12, "collar", "button_down")]
    form = page.main_form()
    assert form.radios == {"collar": ["kent", "button_down"]} and form.checked == {"collar": "kent"}
    assert form.fields["monogram"] == "AB" and form.selects == {"gender": ["", "woman"]}
    assert form.submits == {"submit": "Go"} and page.legends["collar"] == "Collar"


class ScriptedTransport:
    """Answers GETs from a list of (path, html) pages, in order."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.requests = 0
        self.asked = []

    def get(self, path, headers=None):
        from experiments.bots import Page
        self.requests += 1
        self.asked.append(path)
        final, html = self.pages.pop(0)
        return Page(200, final, html)

    def post(self, path, data, headers=None):
        raise AssertionError("no POST expected")


def test_bot_waits_on_the_waiting_page_and_looks_again():
    from experiments.behaviour import SimulatedParticipant
    waiting = '<html><head><meta http-equiv="refresh" content="5"></head><body><h1>Collecting</h1></body></html>'
    done = '<html><body><h1>Thank you!</h1><p class="code" id="completion-code">X-1</p></body></html>'
    transport = ScriptedTransport([("/s/x/suggestions", waiting), ("/s/x/suggestions", waiting), ("/s/x/done", done)])
    bot = Bot(transport, "x", SimulatedParticipant(BehaviourParams(), 1, 0))
    waits = [w for w in bot.steps() if w]
    assert waits == [5.0, 5.0]
    assert transport.asked == ["/s/x", "/s/x/suggestions", "/s/x/suggestions"]
    assert bot.result.outcome == "completed" and bot.result.completion_code == "X-1"


def test_bot_waits_on_a_waiting_page_that_polls_instead_of_refreshing():
    from experiments.behaviour import SimulatedParticipant
    waiting = ('<html><body><section id="waiting" data-status-url="/s/x/suggestions/status" data-retry-after="3">'
               '<h1>Collecting</h1><a href="/s/x/suggestions">Check again</a></section></body></html>')
    done = '<html><body><h1>Thank you!</h1><p class="code" id="completion-code">X-1</p></body></html>'
    transport = ScriptedTransport([("/s/x/suggestions", waiting), ("/s/x/done", done)])
    bot = Bot(transport, "x", SimulatedParticipant(BehaviourParams(), 1, 0))
    assert [w for w in bot.steps() if w] == [3.0]
    assert bot.result.outcome == "completed"


def test_bot_reports_a_page_it_cannot_act_on():
    from experiments.behaviour import SimulatedParticipant
    transport = ScriptedTransport([("/elsewhere", "<h1>?</h1>")])
    result = Bot(transport, "x", SimulatedParticipant(BehaviourParams(), 1, 0)).run(sleep=lambda s: None)
    assert result.outcome == "error" and "left the study" in result.error


class FakeBot:
    def __init__(self, index, waits):
        self.result = BotResult(index=index, outcome="completed")
        self.waits = waits

    def steps(self):
        yield from self.waits


def test_scheduler_interleaves_waiting_bots_and_sleeps_only_when_all_wait():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    plans = {0: [0.0, 10.0, 0.0], 1: [0.0, 0.0, 0.0, 0.0], 2: [3.0, 0.0]}
    results, stopped = run_bots(lambda i: FakeBot(i, plans[i]), 3, concurrency=2, sleep=sleep,
                                clock=lambda: now[0])
    assert [r.index for r in results] == [0, 1, 2] and stopped is None
    assert slept == [3.0, 7.0]  # bot 2 waits 3 s, then bot 0's 10 s wait has 7 s left; nothing else sleeps


def test_scheduler_stops_starting_bots_when_the_study_is_full():
    def make(i):
        bot = FakeBot(i, [0.0])
        bot.result.outcome = "full" if i == 1 else "completed"
        return bot
    results, stopped = run_bots(make, 10, concurrency=1)
    assert [r.outcome for r in results] == ["completed", "full"] and "full" in stopped


# ---------------------------------------------------------------- planted effects are recovered
RECOVERY_N = 200
RECOVERY_SEED = 7
PLANTED = BehaviourParams(h1=0.15, adopt_holism=-0.075, h2=0.6)


def fit(csv: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "analysis", "fit", str(csv), "--json", "--cov-type", "HC3", "--quiet"],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True,
        timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def simulate_and_fit(app, tmp_path, name, params):
    from webapp.export import write_export
    from webapp.studies import study_by_slug

    slug = install_study(app, study_variant(tmp_path, "demo.toml", name, target_n_per_cell=1000))
    # One bot at a time: in one process the bots share the GIL, and four at once were 8 % slower in all.
    summary = run_simulation(app, slug, RECOVERY_N, RECOVERY_SEED, params, progress=False, concurrency=1)
    assert summary.errors == [] and summary.completed == RECOVERY_N
    out = tmp_path / f"export-{name}"
    with app.app_context():
        write_export(study_by_slug(slug), out)
    results = fit(out / "participants.csv")
    assert results["h1"]["n"] == RECOVERY_N and results["h2"]["n"] == RECOVERY_N
    return results["h1"]["coefficients"]["public:holism"], results["h2"]["coefficients"]["conformity:closeness"]


# Both hypotheses end to end: bots -> database -> export -> analysis CLI. The behaviour model makes h1
# the OLS coefficient of public:holism in conformity ~ public * holism, and h2 that of
# conformity:closeness in evaluation ~ conformity * closeness (see experiments/behaviour.py).
# Two tests of 200 participants each, so two workers can run them at once.
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_planted_interactions_are_recovered(make_app, tmp_path):
    h1, h2 = simulate_and_fit(make_app(), tmp_path, "planted", PLANTED)
    assert h1["b"] > 0 and h1["ci_low"] <= PLANTED.h1 <= h1["ci_high"] and h1["p"] < 0.05
    assert h2["b"] > 0 and h2["ci_low"] <= PLANTED.h2 <= h2["ci_high"] and h2["p"] < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_zero_effects_are_not_found(make_app, tmp_path):
    null = replace(PLANTED, h1=0.0, h2=0.0)
    h1, h2 = simulate_and_fit(make_app(), tmp_path, "null", null)
    assert h1["p"] > 0.05 and h1["ci_low"] <= 0.0 <= h1["ci_high"]
    assert h2["p"] > 0.05 and h2["ci_low"] <= 0.0 <= h2["ci_high"]
