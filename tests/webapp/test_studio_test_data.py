"""Test data kept apart: simulated and pilot participants never fill real places, meet real participants
or show in the studio's figures unless asked; the studio's whole-study buttons; simulate's refusal.

The tests that only read (the occupancy, the monitor's figures, refused buttons) share one world per
database, checked unchanged after each (see shared_worlds); the others get a fresh app each.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from builders import browser_of, logged_in, new_participant, place, walker_at
from experiments.definition import EXPERIMENTS_DIR, parse_study
from scl_testing import Journey, csrf_from
from shared_worlds import world_fixtures
from webapp import journey, monitor
from webapp.extensions import db
from webapp.models import Participant, StudioAction, Study
from webapp.studies import install_definition, study_by_slug

KEY = "sim-key-for-tests"


def install_small(app, slug="small", per_cell=5, **suggestions):
    data = tomllib.loads((EXPERIMENTS_DIR / "visibility_relation.toml").read_text())
    data["study"]["slug"] = slug
    data["factors"]["target_n_per_cell"] = per_cell
    data["suggestions"].update(suggestions)
    with app.app_context():
        install_definition(parse_study(data, source=slug))
        db.session.commit()
    return slug


def enter(app, slug, **flags):
    with app.app_context():
        entry = journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), None, **flags)
        db.session.commit()
        return entry.outcome


def simulated_walker(app, slug):
    walker = Journey(app, slug)
    walker.client.environ_base["HTTP_X_SIMULATION_KEY"] = KEY
    return walker


# ---------------------------------------------------------------- the world the read-only tests share
@dataclass
class World:
    app: object
    owner: object  # logged-in browsers of the demo's owner and of a viewer
    viewer: object


def _build_world(app) -> World:
    owner = logged_in(app)
    for _ in range(3):
        new_participant(app, simulated=True)
    new_participant(app)  # one real participant beside the three simulated ones
    return World(app=app, owner=owner, viewer=logged_in(app, "viewer@lab.example", owns=(), views=("demo",)))


shared_world, world = world_fixtures("studio-test-data", _build_world)


# ---------------------------------------------------------------- places
def test_twenty_simulated_participants_leave_every_real_place_free(app):
    slug = install_small(app)  # 4 cells of 5
    assert [enter(app, slug, simulated=True) for _ in range(20)] == ["entered"] * 20
    assert enter(app, slug, simulated=True) == "full"  # simulations fill their own quota
    assert enter(app, slug, pilot_cell="public/friend") == "entered"
    assert [enter(app, slug) for _ in range(20)] == ["entered"] * 20  # all 20 real places
    assert enter(app, slug) == "full"
    with app.app_context():
        rows = db.session.execute(select(Participant.visibility, Participant.relation, func.count())
                                  .where(Participant.is_simulated.is_(False), Participant.is_pilot.is_(False))
                                  .group_by(Participant.visibility, Participant.relation)).all()
        assert sorted(n for *_cell, n in rows) == [5, 5, 5, 5]  # real participants balanced on their own


def test_the_studio_occupancy_counts_real_participants_only(world):
    client = world.owner  # three simulated participants and one real one
    html = client.get("/studio/studies/demo").get_data(as_text=True)
    occupied = [int(n) for n in __import__("re").findall(r'<td class="num">(\d+)</td>\s*<td>\s*<form', html)]
    assert sum(occupied) == 1


# ---------------------------------------------------------------- pairing and galleries
def reach_review(walker):
    walker.consent()
    walker.thinking_style()
    walker.submit_design()
    assert walker.path.endswith("/review"), walker.path
    return walker


@pytest.fixture
def sim_app(make_app):
    return make_app(SIMULATION_KEY=KEY)


def test_real_participants_never_review_or_are_reviewed_by_simulated_ones(sim_app, peer_study):
    app = sim_app
    simulated = reach_review(simulated_walker(app, peer_study))  # flagged by the key, through the real pages
    simulated.follow(simulated.post("/review", {"skip": "Continue"}))
    # The others are placed at the review by the journey functions: the pairing is under test, not the walk.
    real = walker_at(app, "review", peer_study)
    assert "nothing to review" in real.page  # the simulated design is not offered
    real.follow(real.post("/review", {"skip": "Continue"}))
    second_sim = walker_at(app, "review", peer_study, simulated=True)
    with app.app_context():
        reviewer = db.session.get(Participant, second_sim.participant().id)
        target = db.session.get(Participant, reviewer.review_target_id)
        assert target is not None and target.is_simulated  # a simulated one reviews a simulated design
    real_again = walker_at(app, "review", peer_study)
    with app.app_context():
        target = db.session.get(Participant, db.session.get(Participant, real_again.participant().id).review_target_id)
        assert target is not None and not target.is_simulated


def install_public_demo(app, slug="public-demo"):
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data["study"]["slug"] = slug
    data["factors"]["visibility"] = ["public"]
    with app.app_context():
        install_definition(parse_study(data, source=slug))
        db.session.commit()
    return slug


def post_design(walker):
    walker.consent()
    walker.thinking_style()
    walker.submit_design()


def test_the_gallery_of_a_real_participant_shows_no_simulated_design(sim_app):
    app = sim_app
    slug = install_public_demo(app)
    # Designs posted by participants placed past the design step (the gallery is under test, not the walk).
    for _ in range(3):
        place(app, "suggestions", slug, simulated=True)
    real = browser_of(app, place(app, "suggestions", slug), slug)
    place(app, "suggestions", slug)  # the other real one
    page = real.get("/gallery").get_data(as_text=True)
    assert page.count("<article") == 2 and page.count("<h2>Shopper ") == 1  # their own and the other real one
    simulated = simulated_walker(app, slug)
    post_design(simulated)
    assert simulated.get("/gallery").get_data(as_text=True).count("<h2>Shopper ") == 3  # the other simulated ones


# ---------------------------------------------------------------- monitor figures
def test_the_monitor_leaves_simulated_participants_out_unless_asked(world):
    with world.app.app_context():  # three simulated participants and one real one
        study = study_by_slug("demo")
        plain = monitor.study_summary(study)
        assert plain["totals"]["active"] == 1 and plain["totals"]["simulated_all"] == 3
        assert sum(c["active"] for c in plain["cells"].values()) == 1
        assert monitor.study_summary(study, include_pilot=True)["totals"]["active"] == 4
        overview = monitor.studies_overview
        assert overview  # the studio list uses the same rule (checked below through the page)


# ---------------------------------------------------------------- whole-study buttons
def study_page_token(client, slug="demo"):
    return csrf_from(client.get(f"/studio/studies/{slug}").get_data(as_text=True))


def test_archive_copy_and_purge_from_the_studio_are_recorded(app, fast_hashes):
    client = logged_in(app)
    new_participant(app, simulated=True)
    new_participant(app, pilot_cell="public/friend")
    real = new_participant(app)
    assert client.post("/studio/studies/demo/status/archive",
                       data={"csrf_token": study_page_token(client)}).status_code == 303
    with app.app_context():
        assert study_by_slug("demo").status == "archived"
    copied = client.post("/studio/studies/demo/copy", data={"csrf_token": study_page_token(client), "new_slug": "demo-2"})
    assert copied.status_code == 303 and copied.location.endswith("/studio/studies/demo-2")
    assert client.get("/studio/studies/demo-2").status_code == 200  # the members came along
    wrong = client.post("/studio/studies/demo/purge-test-data", data={"csrf_token": study_page_token(client), "slug": "dem"})
    assert wrong.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 3
    client.post("/studio/studies/demo/purge-test-data", data={"csrf_token": study_page_token(client), "slug": "demo"})
    with app.app_context():
        assert db.session.execute(select(Participant.id)).scalars().all() == [real]
        actions = [a for (a,) in db.session.execute(select(StudioAction.action).order_by(StudioAction.id))]
        assert actions == ["status", "copied", "copied_to", "test_data_purged"]


def test_a_bad_copy_slug_is_explained_and_nothing_is_created(world):
    app, client = world.app, world.owner
    response = client.post("/studio/studies/demo/copy", data={"csrf_token": study_page_token(client), "new_slug": "Bad Slug!"},
                           follow_redirects=True)
    assert response.status_code == 200 and "not copied" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Study)) == 1


def test_only_an_owner_deletes_the_whole_study_and_only_with_the_slug(app, fast_hashes):
    from builders import add_experimenter, login
    from webapp.accounts import find_experimenter
    from webapp.models import StudyMember
    client = logged_in(app)
    add_experimenter(app, "editor@lab.example")
    with app.app_context():
        db.session.add(StudyMember(study_id=study_by_slug("demo").id,
                                   experimenter_id=find_experimenter("editor@lab.example").id, role="editor"))
        db.session.commit()
    editor = app.test_client()
    login(editor, "editor@lab.example")
    assert editor.post("/studio/studies/demo/delete-study",
                       data={"csrf_token": study_page_token(editor), "slug": "demo"}).status_code == 403
    assert client.post("/studio/studies/demo/delete-study",
                       data={"csrf_token": study_page_token(client), "slug": "nope"}).status_code == 303
    with app.app_context():
        assert study_by_slug("demo") is not None
    assert client.post("/studio/studies/demo/delete-study",
                       data={"csrf_token": study_page_token(client), "slug": "demo"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Study)) == 0


def test_a_viewer_gets_403_for_the_study_buttons(world):
    client = world.viewer
    for path, data in (("status/archive", {}), ("copy", {"new_slug": "x-copy"}), ("purge-test-data", {"slug": "demo"})):
        assert client.post(f"/studio/studies/demo/{path}",
                           data={"csrf_token": study_page_token(client), **data}).status_code == 403


# ---------------------------------------------------------------- simulate over HTTP
def test_simulate_over_http_without_the_key_refuses_in_one_line(capsys, monkeypatch):
    from experiments import simulate
    monkeypatch.delenv("SCL_SIMULATION_KEY", raising=False)
    called = []
    monkeypatch.setattr(simulate, "run_simulation", lambda *a, **k: called.append(1))
    code = simulate.main(["demo", "-n", "1", "--seed", "1", "--base-url", "http://127.0.0.1:9", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and not called
    assert len(err.strip().splitlines()) == 1 and "--simulation-key" in err and "--unflagged" in err


def test_simulate_over_http_runs_unflagged_only_when_told(capsys, monkeypatch):
    from experiments import simulate
    monkeypatch.delenv("SCL_SIMULATION_KEY", raising=False)

    def stub(*args, **kwargs):
        raise ValueError("stopped by the test")
    monkeypatch.setattr(simulate, "run_simulation", stub)
    code = simulate.main(["demo", "-n", "1", "--seed", "1", "--base-url", "http://127.0.0.1:9", "--no-progress",
                          "--unflagged"])
    assert code == 2 and "stopped by the test" in capsys.readouterr().err
