"""Odd input gets a 4xx on both databases, never a 500."""

import pytest
from sqlalchemy import func, select

from builders import participant_row_at
from scl_testing import Journey
from webapp.extensions import db
from webapp.models import Event, Participant, Response


def at_evaluation(app):
    """A browser on the evaluation page of a participant put there directly (the walk is not under test)."""
    walker = Journey(app)
    participant_id = participant_row_at(app, "evaluation")
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        assert participant is not None
        token = participant.token
    with walker.client.session_transaction() as session:
        session["participants"] = {"demo": token}
    walker.get("/evaluation")
    return walker


@pytest.mark.parametrize("path", ["/s/%00", "/s/demo%00/gallery", "/preview/%00.png", "/studio/%00", "/s/demo?x=%00"])
def test_a_nul_byte_in_the_address_is_a_400(client, path):
    assert client.get(path).status_code == 400


def test_a_nul_byte_in_the_studio_login_email_is_a_400(app):
    client = app.test_client()
    page = client.get("/studio/login").get_data(as_text=True)
    from scl_testing import csrf_from
    response = client.post("/studio/login", data={"csrf_token": csrf_from(page), "email": "a\x00@example.org",
                                                   "password": "x" * 12})
    assert response.status_code == 400


@pytest.mark.parametrize("wtp", ["sNaN", "NaN", "inf", "-Infinity", "1e999999", "9" * 400])
def test_impossible_amounts_on_the_evaluation_step_are_refused_with_a_page(app, wtp):
    walker = at_evaluation(app)
    assert walker.path.endswith("/evaluation")
    data = {k: 5 for k in walker.items()}
    response = walker.post("/evaluation", {**data, "wtp": wtp})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Response.block == "evaluation")) == 0


def test_a_suggestion_id_beyond_32_bits_is_a_404(app):
    walker = at_evaluation(app)
    for big in (2**31, 2**63, 10**30):
        assert walker.post(f"/revise/suggestions/{big}", {"decision": "adopt"}).status_code == 404


def test_a_nul_byte_in_a_form_field_is_a_400_and_saves_nothing(app):
    walker = Journey(app)
    walker.consent()
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(Event))
    response = walker.post("/thinking-style", {k: 4 for k in walker.items()} | {"ts_x": "a\x00b"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == events_before
