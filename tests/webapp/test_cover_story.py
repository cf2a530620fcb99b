"""The cover story holds: commenters' names drawn per design from a pool, an honest waiting page whose
wait is logged apart from the step's time, and "This study is full" before the consent text."""

from __future__ import annotations

import secrets
import tomllib
from datetime import timedelta

from sqlalchemy import select

from builders import past_review, recent_entries
from experiments.definition import EXPERIMENTS_DIR, parse_study
from scl_testing import Journey
from webapp import journey
from webapp.extensions import db
from webapp.models import Event, Participant, Suggestion, utcnow
from webapp.persona_pool import DEFAULT_POOL, draw_names, pool_for
from webapp.studies import install_definition, study_by_slug


def enter_with_suggestions(app, n: int) -> list[int]:
    ids = []
    with app.app_context():
        for _ in range(n):
            p = journey.enter(study_by_slug("demo"), secrets.token_urlsafe(18)).participant
            while p.step != "design":
                journey.advance(p)
            journey.submit_initial_design(p)
            ids.append(p.id)
        db.session.commit()
    return ids


def test_the_default_pool_has_at_least_twelve_distinct_names():
    assert len({name for name, _ in DEFAULT_POOL}) >= 12


def test_commenters_names_vary_between_designs_and_stay_put_for_one(app):
    ids = enter_with_suggestions(app, 30)
    with app.app_context():
        definition = study_by_slug("demo").current_version.definition
        keys = {p.key for p in definition.personas["friend"]}
        rows = db.session.execute(select(Suggestion.participant_id, Suggestion.persona_key, Suggestion.persona_name,
                                         Suggestion.persona_avatar)).all()
        names = {r.persona_name for r in rows}
        assert len(names) > 6  # not the study's three names under every design
        assert {r.persona_key for r in rows} <= keys  # the keys (export, closeness) stay the study's
        allowed = {name for name, _ in pool_for(definition.personas["friend"], definition.pool_in("en"))}
        assert names <= allowed
        for participant_id in ids:
            mine = [r for r in rows if r.participant_id == participant_id]
            by_key = {}
            for r in mine:
                assert by_key.setdefault(r.persona_key, r.persona_name) == r.persona_name  # one name per persona
            assert len(set(by_key.values())) == len(by_key)  # different personas, different names
            p = db.session.get(Participant, participant_id)
            expected = draw_names(definition.personas["friend"], definition.seed, p.seed, definition.pool_in("en"), "en")
            assert all(expected[r.persona_key] == (r.persona_name, r.persona_avatar) for r in mine)


def test_the_drawn_avatars_have_a_style(app):
    from pathlib import Path
    css = (Path(__file__).parents[2] / "webapp" / "static" / "style.css").read_text()
    assert all(f".avatar-{avatar} " in css for _, avatar in DEFAULT_POOL)


# ---------------------------------------------------------------- the waiting page
def wait_for_suggestions(app, peer_study):
    recent_entries(app, peer_study, range(10, 100, 10))  # traffic enough that waiting for a peer is worth it
    return past_review(app, peer_study)


def test_the_waiting_page_says_only_what_is_true(app, peer_study):
    walker = wait_for_suggestions(app, peer_study)
    assert "Waiting for suggestions" in walker.page
    assert "looking at your design" not in walker.page


def test_the_wait_is_logged_apart_from_the_time_on_the_suggestions_step(app, peer_study, clock):
    walker = wait_for_suggestions(app, peer_study)
    participant_id = walker.participant().id
    assert walker.participant().step == "suggestions" and "Waiting for suggestions" in walker.page
    clock.advance(150)  # waited 150 s: the planned wait is over
    page = walker.get("/suggestions").get_data(as_text=True)
    assert "Waiting for suggestions" not in page
    walker.follow(walker.post("/suggestions", {"submit": "Continue"}))
    with app.app_context():
        events = db.session.execute(select(Event).where(Event.participant_id == participant_id)
                                    .order_by(Event.id)).scalars().all()
        waits = [e.data["seconds"] for e in events if e.kind == "peer_wait_ended"]
        step_times = [e.data["seconds"] for e in events if e.kind == "step_completed" and e.step == "suggestions"]
        assert len(waits) == 1 and waits[0] >= 150
        assert len(step_times) == 1 and step_times[0] < 30  # the time with the suggestions only


# ---------------------------------------------------------------- a full study says so first
def install_tiny(app, slug="tiny"):
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data["study"]["slug"] = slug
    data["factors"]["target_n_per_cell"] = 1
    with app.app_context():
        install_definition(parse_study(data, source=slug))
        db.session.commit()
    return slug


def test_a_full_study_says_so_before_the_consent_text(app):
    slug = install_tiny(app)
    with app.app_context():
        consent_text = study_by_slug(slug).current_version.definition.consent_text.split()[:6]
        for _ in range(3):
            journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), simulated=True)  # test data fill nothing
        db.session.commit()
    first = Journey(app, slug).get().get_data(as_text=True)
    assert " ".join(consent_text) in " ".join(first.split())  # still open for real participants
    with app.app_context():
        for _ in range(2):
            assert journey.enter(study_by_slug(slug), secrets.token_urlsafe(18)).outcome == "entered"
        db.session.commit()
    page = Journey(app, slug).get().get_data(as_text=True)
    assert "This study is full" in page and 'name="nonce"' not in page
    assert " ".join(consent_text) not in " ".join(page.split())
    with app.app_context():  # a place freed by a participant past the deadline counts as free
        p = db.session.execute(select(Participant).where(Participant.is_simulated.is_(False))).scalars().first()
        p.deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert 'name="nonce"' in Journey(app, slug).get().get_data(as_text=True)
