"""Builders for the state tests start from: studies under another slug, participants at a step.

One home for what tests used to rebuild by hand (importable as `builders`): the demo
study installed under another slug, a participant walked or placed at a given step, the
consent nonce of a page, experimenters logged in to the studio, and cheap password hashing
for tests that are not about hashing.
"""

from __future__ import annotations

import secrets
import tomllib

from experiments import steps
from scl_testing import Journey, csrf_from, nonce_from

__all__ = ["PASSWORD", "add_experimenter", "browser_of", "cheap_hasher", "consent", "demo_as", "get_participant",
           "install_second_study", "install_study", "logged_in", "login", "move_on", "new_participant", "nonce_from",
           "participant_at", "participant_row_at", "place", "placed", "recent_entries", "study_data", "study_row",
           "token", "token_of", "use_cheap_hasher", "walker_at"]


def cheap_hasher():
    """argon2id with the cheapest parameters: logins in tests take milliseconds, not a second."""
    from argon2 import PasswordHasher
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def use_cheap_hasher(monkeypatch) -> None:
    import webapp.accounts as accounts
    monkeypatch.setattr(accounts, "hasher", cheap_hasher())


def study_data(source: str = "demo", slug: str | None = None, **factors) -> dict:
    """A shipped study file as data, optionally under another slug and with some `[factors]` replaced."""
    from experiments.definition import EXPERIMENTS_DIR
    data = tomllib.loads((EXPERIMENTS_DIR / f"{source}.toml").read_text("utf-8"))
    if slug is not None:
        data["study"]["slug"] = slug
    data["factors"].update(factors)
    return data


def install_study(app, data: dict, source: str) -> str:
    """Validate and install a study given as data; returns its slug."""
    from experiments.definition import EXPERIMENTS_DIR, parse_study
    from webapp.extensions import db
    from webapp.studies import install_definition
    with app.app_context():
        install_definition(parse_study(data, source=source, base=EXPERIMENTS_DIR), source)
        db.session.commit()
    return data["study"]["slug"]


def demo_as(app, slug: str, source_file: str | None = None, **factors) -> str:
    """The demo study installed under another slug (factors such as target_n_per_cell replaced)."""
    return install_study(app, study_data("demo", slug, **factors), source_file or slug)


def participant_at(app, step: str, slug: str = "demo", query: str = "") -> Journey:
    """A participant walked through the real pages (plain answers) until the page of `step`."""
    walker = Journey(app, slug, query)
    walker.consent()
    for _ in range(40):
        if walker.current_step() == step:
            return walker
        if walker.current_step() is None:
            raise AssertionError(f"the journey ended before reaching {step!r}")
        walker.answer(walker.current_step())
    raise AssertionError(f"never reached {step!r} (last page {walker.path})")


def participant_row_at(app, step: str, slug: str = "demo") -> int:
    """A participant moved to `step` through the journey functions, without HTTP; returns its row id."""
    return placed(app, slug, step=step)[0]


# ---------------------------------------------------------------- participants placed at a step (no HTTP)
# For tests about one step's page or one request rather than the walk to it: each page of a walk
# costs a request or two through the whole app, a placed participant a few statements. The
# browser then opens the step's page through the real route, as the walk's last redirect would.
def placed(app, slug: str = "demo", *, step: str | None = None, pilot_cell: str | None = None,
           recruit: dict | None = None, simulated: bool = False, language: str | None = None) -> tuple[int, str]:
    """A participant entered by consent (journey.enter) and moved on to `step` if given; (row id, token)."""
    from webapp import journey
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    with app.app_context():
        study = study_by_slug(slug)
        assert study is not None, slug
        entry = journey.enter(study, secrets.token_urlsafe(18), recruit, pilot_cell=pilot_cell, simulated=simulated,
                              language=language)
        assert entry.outcome == "entered" and entry.participant is not None, entry.outcome
        db.session.commit()
        row = entry.participant.id, entry.participant.token
    if step is not None:
        move_on(app, row[1], step)
    return row


def place(app, step: str, slug: str = "demo", *, simulated: bool = False, language: str | None = None) -> str:
    """A participant entered by consent and moved on to `step` (designs submitted as they stand); its token."""
    return placed(app, slug, step=step, simulated=simulated, language=language)[1]


def new_participant(app, slug: str = "demo", *, pilot_cell: str | None = None, step: str | None = None,
                    simulated: bool = False, recruit: dict | None = None) -> int:
    """A participant created by the journey functions and moved on to `step` (default: first step after consent)."""
    return placed(app, slug, step=step, pilot_cell=pilot_cell, recruit=recruit, simulated=simulated)[0]


def move_on(app, token: str, step: str) -> None:
    """Move a participant from where they are to `step` by the journey functions (plain answers skipped)."""
    from sqlalchemy import select

    from webapp import journey
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        participant = db.session.execute(select(Participant).where(Participant.token == token)).scalar_one()
        for _ in range(40):
            if participant.step == step:
                db.session.commit()
                return
            if participant.status != "active":
                break
            if participant.step == "design":
                journey.submit_initial_design(participant)
            elif participant.step == "revise":
                journey.submit_final_design(participant)
            journey.advance(participant)
        raise AssertionError(f"never reached {step!r} (at {participant.step!r}, {participant.status})")


def token_of(walker: Journey) -> str:
    """The participant token a walking browser's session holds."""
    with walker.client.session_transaction() as session:
        return session["participants"][walker.slug]


def browser_of(app, token: str, slug: str = "demo") -> Journey:
    """A browser whose session takes the study as the participant with this token."""
    walker = Journey(app, slug)
    with walker.client.session_transaction() as session:
        session["participants"] = {slug: token}
    return walker


def walker_at(app, step: str, slug: str = "demo", *, simulated: bool = False, language: str | None = None) -> Journey:
    """A placed participant's browser, on the page of `step` (its form's CSRF token at hand)."""
    walker = browser_of(app, place(app, step, slug, simulated=simulated, language=language), slug)
    walker.get(steps.get(step).path)
    assert walker.current_step() == step, walker.path
    return walker


def recent_entries(app, slug: str, seconds_ago, simulated: bool = False) -> list[int]:
    """Entrants who consented the given numbers of seconds ago: the traffic a peer wait is planned from."""
    from datetime import timedelta

    from webapp import journey
    from webapp.extensions import db
    from webapp.models import utcnow
    from webapp.studies import study_by_slug
    ids = []
    with app.app_context():
        for ago in seconds_ago:
            participant = journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), simulated=simulated).participant
            participant.consented_at = participant.entered_at = utcnow() - timedelta(seconds=ago)
            ids.append(participant.id)
        db.session.commit()
    return ids


def past_review(app, slug: str) -> Journey:
    """A participant who designed and skipped the review: on the waiting page, or the suggestions if none is due."""
    walker = Journey(app, slug)
    walker.consent()
    walker.thinking_style()
    walker.submit_design()
    walker.follow(walker.post("/review", {"skip": "Continue"}))
    return walker


# ---------------------------------------------------------------- experimenters and their studio sessions
PASSWORD = "correct horse battery"


def add_experimenter(app, email: str, password: str = PASSWORD, owns: tuple[str, ...] = (),
                     views: tuple[str, ...] = ()) -> int:
    """An experimenter owning the studies `owns` and a viewer of the studies `views`."""
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        experimenter = create_experimenter(email, password)
        for slug in owns:
            db.session.add(StudyMember(study_id=study_by_slug(slug).id, experimenter_id=experimenter.id, role="owner"))
        for slug in views:
            db.session.add(StudyMember(study_id=study_by_slug(slug).id, experimenter_id=experimenter.id, role="viewer"))
        db.session.commit()
        return experimenter.id


def install_second_study(app, slug: str = "visibility") -> None:
    from experiments.definition import EXPERIMENTS_DIR, load_study
    from webapp.extensions import db
    from webapp.studies import install_definition
    with app.app_context():
        install_definition(load_study(EXPERIMENTS_DIR / f"{slug}.toml"), f"{slug}.toml")
        db.session.commit()


def login(client, email: str, password: str = PASSWORD, **kwargs):
    html = client.get("/studio/login").get_data(as_text=True)
    return client.post("/studio/login", data={"csrf_token": csrf_from(html), "email": email, "password": password},
                       **kwargs)


def token(client, url: str = "/studio/login") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def logged_in(app, email: str = "owner@lab.example", owns: tuple[str, ...] = ("demo",),
              views: tuple[str, ...] = ()):
    add_experimenter(app, email, owns=owns, views=views)
    client = app.test_client()
    assert login(client, email).status_code == 303
    return client


def get_participant(app, participant_id: int):
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        if participant is not None:
            db.session.expunge(participant)
        return participant


def study_row(app, slug: str = "demo"):
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    with app.app_context():
        study = study_by_slug(slug)
        db.session.expunge(study)
        return study


def consent(client, slug: str = "demo", decline: bool = False):
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    nonce = nonce_from(html)
    assert nonce, html[:400]
    choice = {"decline": "I do not want to take part"} if decline else {"agree": "I agree and want to take part"}
    return client.post(f"/s/{slug}", data={"csrf_token": csrf_from(html), "nonce": nonce, **choice})
