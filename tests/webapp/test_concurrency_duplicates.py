"""Concurrent duplicates of one step (double clicks, reloads, retries) give one result and one event.

Each test brings a participant to the moment before a step, then sends the same request
from several threads at once through a real threaded server, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import http.client
import threading
import tomllib
import urllib.parse

import pytest
from sqlalchemy import func, select

from builders import nonce_from
from experiments.definition import EXPERIMENTS_DIR, parse_study
from scl_testing import csrf_from
from webapp.extensions import db
from webapp.models import DesignRecord, Event, Participant, Suggestion
from webapp.studies import install_definition

COPIES = 8


def burst(base_url: str, requests: list[tuple[str, str, str, dict | None]]) -> list[int]:
    """Send (cookie, method, path, form) requests all at once; return their status codes."""
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(index: int, cookie: str, method: str, path: str, form: dict | None) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": f"session={cookie}", "Accept": "text/html"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        barrier.wait()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        statuses[index] = response.status
        connection.close()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return statuses


def cookie_of(walker) -> str:
    return walker.client.get_cookie("session").value


def events(app, kind: str, participant_id: int | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Event).where(Event.kind == kind)
        if participant_id is not None:
            query = query.where(Event.participant_id == participant_id)
        return db.session.scalar(query)


@pytest.fixture
def peer_study(app):
    """One cell with real peer review and no waiting, so suggestions are assigned on the GET."""
    data = tomllib.loads((EXPERIMENTS_DIR / "visibility_relation.toml").read_text())
    data["study"]["slug"] = "peers"
    data["factors"].update(visibility=["public"], relation=["friend"])
    data["suggestions"].update(peer_wait_seconds=0, peer_share=0.5, count=2)
    with app.app_context():
        install_definition(parse_study(data, source="peers"))
        db.session.commit()
    return "peers"


def test_the_same_consent_posted_at_once_creates_one_participant(app, journey, live_server):
    walker = journey()
    walker.get()
    form = {"csrf_token": csrf_from(walker.page), "nonce": nonce_from(walker.page), "agree": "yes"}
    statuses = burst(live_server.url, [(cookie_of(walker), "POST", "/s/demo", form)] * COPIES)
    assert set(statuses) == {303}, statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 1
    assert events(app, "consented") == 1
    assert events(app, "assigned") == 1


def reach_design_submitted(walker):
    """Consent, answer, and submit the first design without loading the page that follows."""
    walker.consent()
    walker.thinking_style()
    response = walker.post("/design", {**walker.design_choices(), "submit": "Submit"})
    assert response.status_code == 303, response.status_code
    return response.location


def test_the_first_review_page_loaded_at_once_assigns_one_target(app, journey, live_server, peer_study):
    first = journey(peer_study)
    reach_design_submitted(first)
    first.get("/review")
    first.follow(first.post("/review", {"skip": "Continue"}))
    second = journey(peer_study)
    assert reach_design_submitted(second).endswith("/review")
    statuses = burst(live_server.url, [(cookie_of(second), "GET", f"/s/{peer_study}/review", None)] * COPIES)
    assert set(statuses) == {200}, statuses
    reviewer = second.participant()
    assert reviewer.review_target_id == first.participant().id
    assert events(app, "review_assigned", reviewer.id) == 1
    assert events(app, "page_view", reviewer.id) >= COPIES  # every view is still logged


def test_the_suggestions_page_loaded_at_once_assigns_suggestions_once(app, journey, live_server, peer_study):
    walker = journey(peer_study)
    reach_design_submitted(walker)
    walker.get("/review")
    response = walker.post("/review", {"skip": "Continue"})
    assert response.location.endswith("/suggestions")
    statuses = burst(live_server.url, [(cookie_of(walker), "GET", f"/s/{peer_study}/suggestions", None)] * COPIES)
    assert set(statuses) == {200}, statuses
    participant = walker.participant()
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Suggestion.participant_id == participant.id)) == 2
    assert events(app, "suggestion_received", participant.id) == 2


def test_participants_saving_the_same_new_design_at_once_all_succeed(app, journey, live_server):
    walkers = [journey() for _ in range(COPIES)]
    requests = []
    for walker in walkers:
        walker.consent()
        walker.thinking_style()
        assert walker.path.endswith("/design")
        requests.append((cookie_of(walker), "POST", "/s/demo/design/change",
                         {"csrf_token": csrf_from(walker.page), "attribute": "collar", "level": "button_down"}))
    statuses = burst(live_server.url, requests)
    assert set(statuses) == {303}, statuses
    ids = [walker.participant().id for walker in walkers]
    with app.app_context():
        designs = {db.session.get(Participant, i).design_json for i in ids}
        assert len(designs) == 1
        digest = db.session.scalar(select(DesignRecord.digest).where(DesignRecord.design_json == designs.pop()))
        assert digest is not None
    assert events(app, "attribute_changed") == COPIES
