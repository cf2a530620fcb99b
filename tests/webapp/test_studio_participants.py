"""The studio's participants page: filters, pseudonymous ids, and the role-checked, audited actions.

The tests that only read (pages, filters, refused actions) share one world per database: an owner, a
viewer and a stranger logged in, one real and one simulated participant. Building it costs far more
than their requests, and each of those tests checks that it left every row as it found it. The
tests whose actions change something get a fresh app and database each, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from builders import get_participant, logged_in, new_participant, walker_at
from scl_testing import Journey, csrf_from
from shared_worlds import world_fixtures
from webapp import journey
from webapp.export import participant_id
from webapp.extensions import db
from webapp.models import Event, Participant, StudioAction
from webapp.studies import study_by_slug


def pid(app, internal: int, slug: str = "demo") -> str:
    with app.app_context():
        return participant_id(slug, internal)


def page(client, query: str = "", slug: str = "demo"):
    return client.get(f"/studio/studies/{slug}/participants{query}")


def act(client, action: str, participant: str, slug: str = "demo", **extra):
    html = page(client, slug=slug).get_data(as_text=True)
    return client.post(f"/studio/studies/{slug}/participants/{action}",
                       data={"csrf_token": csrf_from(html), "participant": participant, **extra})


def actions(app, name: str) -> list[StudioAction]:
    with app.app_context():
        return list(db.session.execute(select(StudioAction).where(StudioAction.action == name)).scalars())


def events(app, internal: int, kind: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event).where(
            Event.participant_id == internal, Event.kind == kind))


# ---------------------------------------------------------------- the world the read-only tests share
@dataclass
class World:
    app: object
    owner: object  # logged-in browsers
    viewer: object
    stranger: object
    real: int  # participants, at their first step after consent
    simulated: int


def _build_world(app) -> World:
    owner = logged_in(app)
    real = new_participant(app)
    simulated = new_participant(app, simulated=True)
    viewer = logged_in(app, "viewer@lab.example", owns=(), views=("demo",))
    stranger = logged_in(app, "stranger@lab.example", owns=())
    return World(app=app, owner=owner, viewer=viewer, stranger=stranger, real=real, simulated=simulated)


shared_world, world = world_fixtures("studio-participants", _build_world)


# ---------------------------------------------------------------- the list
def test_the_page_lists_participants_by_the_export_id_with_step_deadline_and_flags(app, fast_hashes):
    client = logged_in(app)
    real = new_participant(app, step="design")
    simulated = new_participant(app, simulated=True)
    pilot = new_participant(app, pilot_cell="public/friend")
    html = page(client, "?kind=all").get_data(as_text=True)
    for internal in (real, simulated, pilot):
        assert f'data-participant="{pid(app, internal)}"' in html
    row = re.search(rf'<tr data-participant="{pid(app, real)}">(.*?)</tr>', html, re.S).group(1)
    assert "design" in row and "active" in row and " min " in row  # step and the time on it
    deadline = get_participant(app, real).deadline_at.strftime("%Y-%m-%d %H:%M")
    assert deadline in row
    assert "simulated" in re.search(rf'data-participant="{pid(app, simulated)}">(.*?)</tr>', html, re.S).group(1)
    assert "pilot" in re.search(rf'data-participant="{pid(app, pilot)}">(.*?)</tr>', html, re.S).group(1)
    # no internal row ids or tokens on the page
    assert get_participant(app, real).token not in html


def test_test_participants_are_left_out_unless_the_filter_asks_for_them(world):
    app, client, real, simulated = world.app, world.owner, world.real, world.simulated
    default = page(client).get_data(as_text=True)
    assert pid(app, real) in default and pid(app, simulated) not in default
    test_only = page(client, "?kind=test").get_data(as_text=True)
    assert pid(app, simulated) in test_only and pid(app, real) not in test_only


def test_filters_by_cell_status_and_step(app, fast_hashes):
    client = logged_in(app)
    people = [new_participant(app) for _ in range(4)]
    cells = {p: get_participant(app, p).cell for p in people}
    cell = cells[people[0]]
    html = page(client, f"?cell={cell}").get_data(as_text=True)
    assert all((pid(app, p) in html) == (cells[p] == cell) for p in people)
    moved = new_participant(app, step="design")
    html = page(client, "?step=design").get_data(as_text=True)
    assert pid(app, moved) in html and not any(pid(app, p) in html for p in people)
    with app.app_context():
        journey.time_out(db.session.get(Participant, people[1]))
        db.session.commit()
    html = page(client, "?status=timed_out").get_data(as_text=True)
    assert pid(app, people[1]) in html and pid(app, people[0]) not in html


@pytest.mark.parametrize("query", ["?cell=nowhere/none", "?status=lost", "?step=moon", "?kind=robots"])
def test_an_unknown_filter_value_is_a_400_naming_the_allowed_ones(world, query):
    response = page(world.owner, query)
    assert response.status_code == 400
    assert "use one of" in response.get_data(as_text=True)


# ---------------------------------------------------------------- actions
def test_extending_the_deadline_moves_it_and_is_recorded(app, fast_hashes):
    client = logged_in(app)
    internal = new_participant(app)
    before = get_participant(app, internal).deadline_at
    response = act(client, "extend", pid(app, internal), minutes="30")
    assert response.status_code == 303
    after = get_participant(app, internal).deadline_at
    assert after - before == timedelta(minutes=30)
    assert [a.detail for a in actions(app, "participant_deadline_extended")] == ["+30 min"]
    assert events(app, internal, "deadline_extended") == 1


def test_an_overdue_participant_gets_time_from_now_and_can_go_on(app, fast_hashes):
    client = logged_in(app)
    internal = new_participant(app)
    with app.app_context():
        p = db.session.get(Participant, internal)
        p.deadline_at = p.deadline_at - timedelta(hours=2)
        db.session.commit()
    act(client, "extend", pid(app, internal), minutes="10")
    deadline = get_participant(app, internal).deadline_at
    with app.app_context():
        from webapp.models import utcnow
        assert timedelta(minutes=9) < deadline - utcnow() <= timedelta(minutes=10)


@pytest.mark.parametrize("minutes", ["0", "100000", "soon"])
def test_an_extension_out_of_range_is_refused_and_changes_nothing(world, minutes):
    app, client, internal = world.app, world.owner, world.real
    before = get_participant(app, internal).deadline_at
    assert act(client, "extend", pid(app, internal), minutes=minutes).status_code == 400
    assert get_participant(app, internal).deadline_at == before
    assert actions(app, "participant_deadline_extended") == []


def test_marking_returned_frees_the_slot_and_is_recorded(app, fast_hashes):
    client = logged_in(app)
    internal = new_participant(app)
    cell = get_participant(app, internal).cell
    with app.app_context():
        assert journey.occupied_counts(study_by_slug("demo")).get(cell) == 1
    assert act(client, "returned", pid(app, internal)).status_code == 303
    participant = get_participant(app, internal)
    assert (participant.status, participant.outcome) == ("returned", "returned")
    with app.app_context():
        assert journey.occupied_counts(study_by_slug("demo")).get(cell, 0) == 0
    assert [a.detail for a in actions(app, "participant_returned")] == ["was active"]
    assert events(app, internal, "returned") == 1


def test_a_completed_participant_cannot_be_marked_returned(app, fast_hashes):
    client = logged_in(app)
    internal = new_participant(app, step="done")  # completed by the journey functions, not a walk
    assert get_participant(app, internal).status == "completed"
    response = act(client, "returned", pid(app, internal))
    assert response.status_code == 303
    assert get_participant(app, internal).status == "completed"
    assert "Only active or timed-out" in client.get(response.location).get_data(as_text=True)
    assert actions(app, "participant_returned") == []


def test_a_viewer_sees_the_page_but_every_action_is_a_403(world):
    app, client, internal = world.app, world.viewer, world.real
    html = page(client).get_data(as_text=True)
    assert pid(app, internal) in html and "Give more time" not in html
    for action in ("extend", "returned", "resume-link"):
        assert act(client, action, pid(app, internal), minutes="30").status_code == 403
    assert get_participant(app, internal).status == "active"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StudioAction)) == 0


def test_actions_without_the_csrf_token_are_refused(world):
    app, client, internal = world.app, world.owner, world.real
    for action in ("extend", "returned", "resume-link"):
        response = client.post(f"/studio/studies/demo/participants/{action}",
                               data={"participant": pid(app, internal), "minutes": "30"})
        assert response.status_code == 400
    assert get_participant(app, internal).status == "active"


def test_an_unknown_participant_id_is_a_404(world):
    assert act(world.owner, "returned", "0" * 16).status_code == 404


def test_a_non_member_cannot_see_the_page(world):
    assert page(world.stranger).status_code == 404


def test_delete_from_the_page_asks_once_more_then_deletes(app, fast_hashes):
    client = logged_in(app)
    internal = new_participant(app)
    html = page(client).get_data(as_text=True)
    confirm = client.post("/studio/studies/demo/delete",
                          data={"csrf_token": csrf_from(html), "identifier": pid(app, internal)})
    assert confirm.status_code == 200 and pid(app, internal) in confirm.get_data(as_text=True)
    assert get_participant(app, internal) is not None
    done = client.post("/studio/studies/demo/delete/confirm",
                       data={"csrf_token": csrf_from(confirm.get_data(as_text=True)), "reference": pid(app, internal)})
    assert done.status_code == 303 and get_participant(app, internal) is None
    assert len(actions(app, "participant_deleted")) == 1


# ---------------------------------------------------------------- resume links
def resume_link(app, client, internal: int) -> str:
    response = act(client, "resume-link", pid(app, internal))
    assert response.status_code == 200
    found = re.search(r'value="(http://[^"]+/s/demo/resume/[^"]+)"', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:2000]
    return found.group(1).replace("http://localhost", "")


def test_a_resume_link_continues_the_same_participant_in_another_browser_once(app, fast_hashes):
    studio = logged_in(app)
    first = walker_at(app, "thinking_style")  # a browser taking part, placed after consent
    internal = first.participant().id
    step_path = first.path
    link = resume_link(app, studio, internal)
    assert [a.detail for a in actions(app, "participant_resume_link")] == ["valid 48 h"]

    other = app.test_client()
    response = other.get(link)
    assert response.status_code == 303 and response.location.endswith(step_path)
    assert other.get(response.location).status_code == 200
    assert events(app, internal, "resumed") == 1
    # the old browser's session ended; the link works once only
    assert first.client.get(step_path).status_code == 303
    again = app.test_client().get(link)
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    assert events(app, internal, "resumed") == 1


def test_a_resume_link_expires(app, fast_hashes, monkeypatch):
    studio = logged_in(app)
    internal = new_participant(app)
    link = resume_link(app, studio, internal)
    import time
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 49 * 3600)
    response = app.test_client().get(link)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_a_tampered_resume_link_is_refused(app, fast_hashes):
    studio = logged_in(app)
    internal = new_participant(app)
    link = resume_link(app, studio, internal)
    response = app.test_client().get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert response.status_code == 410 and "not valid" in response.get_data(as_text=True)


def test_the_duplicate_page_points_to_the_resume_link(app):
    walk = Journey(app, query="?PROLIFIC_PID=abc123&STUDY_ID=s&SESSION_ID=x")
    walk.consent()
    second = Journey(app, query="?PROLIFIC_PID=abc123&STUDY_ID=s&SESSION_ID=y")
    second.get(second.query)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', second.page).group(1)
    response = second.post("", {"nonce": nonce, "agree": "yes"})
    assert response.status_code == 409
    assert "one-time link that continues your participation" in response.get_data(as_text=True)
