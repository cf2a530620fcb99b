"""The time limit warns before it ends and can be extended once (WCAG 2.2.1); the extension is recorded.

Every step page carries the seconds left; inside the warning time the page shows a notice
with a button that works without JavaScript. The first request moves the deadline once, in
the same transaction as its `time_extended` event; any further request writes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_concurrency_duplicates import COPIES, burst, cookie_of

from builders import install_study, study_data
from experiments.definition import StudyDefinition, StudyFileError, parse_study
from exporting import finish_directly
from scl_testing import csrf_from
from webapp.domain.time_limit import default_extension_minutes, warning_seconds
from webapp.extensions import db
from webapp.models import DesignRecord, Event, Participant, utcnow

SECONDS_LEFT = re.compile(r'data-seconds-left="(\d+)"')


def move_deadline(app, walker, seconds_from_now: float) -> None:
    with app.app_context():
        participant = db.session.get(Participant, walker.participant().id)
        participant.deadline_at = utcnow() + timedelta(seconds=seconds_from_now)
        db.session.commit()


def deadline(app, walker):
    with app.app_context():
        return db.session.get(Participant, walker.participant().id).deadline_at


def extensions(app, walker) -> list[dict]:
    with app.app_context():
        return [json.loads(e.payload) for e in db.session.execute(select(Event).where(
            Event.participant_id == walker.participant().id, Event.kind == "time_extended")).scalars()]


def warning_shown(page: str) -> bool:
    tag = re.search(r'<section class="time-warning"[^>]*>', page)
    assert tag, "every step page carries the time-limit warning"
    return " hidden" not in tag.group(0)


def test_every_step_page_carries_the_seconds_left_and_warns_only_near_the_deadline(app, journey):
    walker = journey()
    walker.consent()
    left = int(SECONDS_LEFT.search(walker.page).group(1))
    assert 44 * 60 < left <= 45 * 60  # the demo's 45 minutes
    assert f'data-warn-at="{warning_seconds(45)}"' in walker.page
    assert not warning_shown(walker.page)
    move_deadline(app, walker, 90)
    walker.get("/thinking-style")
    assert warning_shown(walker.page), "without JavaScript the notice is on the page inside the warning time"
    assert "I need more time" in walker.page and 'action="/s/demo/time/extend"' in walker.page


def test_asking_for_more_time_moves_the_deadline_once_and_records_both_deadlines(app, journey):
    walker = journey()
    walker.consent()
    move_deadline(app, walker, 60)
    walker.get("/thinking-style")
    before = deadline(app, walker)
    response = walker.post("/time/extend", {"extend": "1"})
    assert response.status_code == 303 and response.location.endswith("/thinking-style")
    after = deadline(app, walker)
    assert after - before == timedelta(minutes=default_extension_minutes(45))
    [event] = extensions(app, walker)
    assert event["before"] == before.isoformat() and event["after"] == after.isoformat()
    walker.follow(response)
    assert not warning_shown(walker.page) and "I need more time" not in walker.page


def test_a_second_request_for_more_time_is_refused_and_writes_nothing(app, journey):
    walker = journey()
    walker.consent()
    walker.post("/time/extend", {"extend": "1"})
    extended = deadline(app, walker)
    walker.get("/thinking-style")
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(Event))
    again = walker.post("/time/extend", {"extend": "1"})
    assert again.status_code == 409 and "already" in again.get_data(as_text=True)
    as_json = walker.post("/time/extend", {"extend": "1"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 409 and as_json.get_json()["error"] == "already_extended"
    assert deadline(app, walker) == extended
    assert len(extensions(app, walker)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == events_before


def test_the_script_gets_the_new_seconds_left_as_json(app, journey):
    walker = journey()
    walker.consent()
    move_deadline(app, walker, 30)
    response = walker.post("/time/extend", {"extend": "1"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["can_extend"] is False
    assert abs(answer["seconds_left"] - (30 + 60 * default_extension_minutes(45))) <= 2


def test_after_the_deadline_asking_for_more_time_gives_the_timed_out_page(app, journey):
    walker = journey()
    walker.consent()
    move_deadline(app, walker, -5)
    response = walker.post("/time/extend", {"extend": "1"})
    assert response.status_code == 303 and response.location.endswith("/done")
    assert "Time is up" in walker.follow(response).get_data(as_text=True)
    assert walker.participant().status == "timed_out" and extensions(app, walker) == []


def test_a_request_without_the_form_token_is_refused_and_writes_nothing(app, journey):
    walker = journey()
    walker.consent()
    before = deadline(app, walker)
    response = walker.client.post("/s/demo/time/extend", data={"extend": "1"})
    assert response.status_code == 400
    assert deadline(app, walker) == before and extensions(app, walker) == []


def test_without_a_session_asking_for_more_time_is_not_allowed(app, client):
    client.get("/s/demo")
    assert client.post("/s/demo/time/extend", data={}).status_code in (400, 403)


def test_the_study_file_sets_the_extension(app, journey):
    data = study_data("demo", "demo-extra")
    data["study"]["time_extension_minutes"] = 7
    install_study(app, data, "demo-extra")
    walker = journey("demo-extra")
    walker.consent()
    move_deadline(app, walker, 60)
    walker.get("/thinking-style")
    assert "(7 min)" in walker.page
    before = deadline(app, walker)
    walker.post("/time/extend", {"extend": "1"})
    assert deadline(app, walker) - before == timedelta(minutes=7)


@pytest.mark.parametrize("value", [0, -3, 24 * 60 + 1, "ten", True, 2.5])
def test_impossible_extensions_are_refused_by_name(value):
    data = study_data("demo")
    data["study"]["time_extension_minutes"] = value
    with pytest.raises(StudyFileError) as caught:
        parse_study(data, source="test")
    assert any(key == "study.time_extension_minutes" for key, _ in caught.value.problems), caught.value.problems


def test_the_extension_setting_survives_storage_and_is_absent_by_default():
    plain = parse_study(study_data("demo"), source="test")
    assert plain.time_extension_minutes is None and "time_extension_minutes" not in plain.to_json()
    data = study_data("demo")
    data["study"]["time_extension_minutes"] = 12
    configured = parse_study(data, source="test")
    assert StudyDefinition.from_json(configured.to_json()).time_extension_minutes == 12


def test_requests_for_more_time_sent_at_once_give_one_extension_and_one_event(app, journey, live_server):
    walker = journey()
    walker.consent()
    before = deadline(app, walker)
    form = {"csrf_token": csrf_from(walker.page), "extend": "1"}
    statuses = burst(live_server.url, [(cookie_of(walker), "POST", "/s/demo/time/extend", form)] * COPIES)
    assert sorted(statuses) == [303] + [409] * (COPIES - 1), statuses
    assert deadline(app, walker) - before == timedelta(minutes=default_extension_minutes(45))
    assert len(extensions(app, walker)) == 1


def test_the_draft_preview_shows_unsaved_choices_and_writes_nothing(app, journey):
    walker = journey()
    walker.consent()
    walker.thinking_style()
    assert walker.path.endswith("/design")
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Event)),
                  db.session.scalar(select(func.count()).select_from(DesignRecord)))
    saved = walker.design_choices()
    response = walker.client.get("/s/demo/design/draft.png?collar=button_down")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    same = walker.client.get("/s/demo/design/draft.png")
    assert same.data != response.data, "the choice in the address changes the picture"
    assert walker.client.get("/s/demo/design/draft.png?collar=no_such_collar").status_code == 400
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Event)),
                db.session.scalar(select(func.count()).select_from(DesignRecord))) == counts
    walker.get("/design")
    assert walker.design_choices() == saved


def test_the_draft_preview_is_only_for_the_participant_on_the_design_pages(app, journey, client):
    assert client.get("/s/demo/design/draft.png").status_code == 404
    walker = journey()
    walker.consent()
    assert walker.client.get("/s/demo/design/draft.png").status_code == 404  # still on the questionnaire


def test_the_export_says_who_asked_for_more_time(app, journey):
    from webapp.export.tables import build
    from webapp.studies import study_by_slug
    asked, did_not, still_active = journey(), journey(), journey()
    asked.consent()
    asked.post("/time/extend", {"extend": "1"})
    did_not.consent()
    for walker in (asked, did_not):  # the pages after consent are not under test here
        finish_directly(app, walker.participant().id)
    still_active.consent()
    still_active.post("/time/extend", {"extend": "1"})
    with app.app_context():
        tables, _info = build(study_by_slug("demo"))
        participants = tables["participants"]
        column = participants.names.index("time_extended")
        assert sorted(row[column] for row in participants.rows) == [False, True]
        entries = tables["entries"]
        column = entries.names.index("time_extended")
        assert sorted(row[column] for row in entries.rows) == [False, True, True]
        described = {c.name: c for c in participants.columns}["time_extended"].describe()
        assert described["type"] == "boolean"


def test_the_studio_participants_page_shows_who_asked_for_more_time(app, journey, fast_hashes):
    from builders import logged_in
    from webapp.export import participant_id
    asked, did_not = journey(), journey()
    asked.consent()
    did_not.consent()
    asked.post("/time/extend", {"extend": "1"})
    client = logged_in(app)
    html = client.get("/studio/studies/demo/participants").get_data(as_text=True)
    with app.app_context():
        rows = {name: re.search(rf'<tr data-participant="{participant_id("demo", w.participant().id)}">(.*?)</tr>',
                                html, re.S).group(1) for name, w in (("asked", asked), ("did_not", did_not))}
    assert "asked for more time" in rows["asked"] and "asked for more time" not in rows["did_not"]
