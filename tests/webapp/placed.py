"""Participants put at a step by the journey functions (no HTTP), and a browser holding one's session.

For tests about one step's page or one request rather than the walk to it: each page of a walk
costs a request or two through the whole app, a placed participant a few statements. The
browser then opens the step's page through the real route, as the walk's last redirect would.
"""

from __future__ import annotations

import secrets

from experiments import steps
from scl_testing import Journey


def place(app, step: str, slug: str = "demo", *, simulated: bool = False, language: str | None = None) -> str:
    """A participant entered by consent and moved on to `step` (designs submitted as they stand); its token."""
    from webapp import journey
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    with app.app_context():
        study = study_by_slug(slug)
        assert study is not None, slug
        entry = journey.enter(study, secrets.token_urlsafe(18), simulated=simulated, language=language)
        assert entry.outcome == "entered" and entry.participant is not None, entry.outcome
        db.session.commit()
        token = entry.participant.token
    move_on(app, token, step)
    return token


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
