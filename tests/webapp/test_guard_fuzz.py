"""Property-based fuzzing of participant and studio forms: never a 5xx, never half-written state."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from scl_testing import Journey, csrf_from
from webapp.extensions import db
from webapp.models import Event, Participant, Response

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=10),
    st.sampled_from(["sNaN", "NaN", "inf", "-1e999999", "9" * 300, "2147483648", "-0", "", " ", "\x00",
                     "a" * 5000, "<script>", "collar:wing", "1.5", "ünïcödé", "\ud7ff"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
FIELD_NAMES = st.sampled_from(["nonce", "agree", "decline", "attribute", "level", "decision", "suggestion",
                               "comment", "wtp", "age", "gender", "monogram", "collar", "submit", "update",
                               "skip", "email", "password", "ts_1", "eval_1", "ios_a", "x\x00"])
FORMS = st.dictionaries(FIELD_NAMES, ODD_TEXT, max_size=8)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def state(app, participant_id):
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        return (participant.step, participant.status, participant.design_json,
                db.session.scalar(select(func.count()).where(Response.participant_id == participant_id)))


def checked_post(walker, path, data, participant_id, json=False):
    before = state(walker.app, participant_id)
    events_before = count_events(walker.app)
    headers = {"Accept": "application/json"} if json else {}
    response = walker.post(path, data, headers=headers)
    assert response.status_code < 500, (path, data, response.status_code)
    if response.status_code >= 400:
        after = state(walker.app, participant_id)
        assert after[0:2] == before[0:2] and after[3] == before[3], (path, data)
        if response.status_code != 400 or path != "/thinking-style":  # a refused questionnaire logs validation_failed
            assert count_events(walker.app) - events_before <= 1
    return response


def count_events(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


@pytest.mark.slow
@FUZZ
@given(data=FORMS)
def test_questionnaire_and_editor_posts_never_fail_on_the_server(app, data):
    walker = Journey(app)
    walker.consent()
    participant_id = walker.participant().id
    for path in ("/thinking-style", "/design/change", "/design"):
        walker.get(path if path != "/design/change" else walker.path.removeprefix("/s/demo"))
        checked_post(walker, path, data, participant_id, json=path == "/design/change")


@pytest.mark.slow
@FUZZ
@given(data=FORMS, path=st.sampled_from(["", "/evaluation", "/checks", "/demographics", "/review",
                                         "/revise/suggestions/1", "/revise/suggestions/99999999999", "/closeness"]))
def test_other_participant_posts_never_fail_on_the_server(app, data, path):
    walker = Journey(app)
    walker.get()
    response = walker.post(path, data)
    assert response.status_code < 500, (path, data, response.status_code)


@pytest.mark.slow
@FUZZ
@given(data=FORMS, path=st.sampled_from(["/studio/login", "/studio/register", "/studio/upload"]))
def test_studio_forms_never_fail_on_the_server(client, data, path):
    page = client.get("/studio/login").get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_from(page), **data})
    assert response.status_code < 500, (path, data, response.status_code)


@pytest.mark.parametrize("path", ["/s/demo", "/s/demo/design/change", "/preview/x.png", "/studio/login"])
def test_json_bodies_are_refused_cleanly(client, path):
    response = client.post(path, data="{\"a\": \"\\u0000\"}", content_type="application/json")
    assert response.status_code < 500
