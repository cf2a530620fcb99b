"""The participant journey through the real routes, on SQLite and PostgreSQL."""

import json

import pytest
from sqlalchemy import func, select

from builders import browser_of, move_on, nonce_from, place, token_of, walker_at
from webapp.domain.design import Design
from webapp.extensions import db
from webapp.models import Event, Participant, Response, Study, Suggestion


def rows(app, model, **filters):
    with app.app_context():
        query = select(model).filter_by(**filters)
        found = db.session.execute(query).scalars().all()
        for row in found:
            db.session.expunge(row)
        return found


def count(app, model, **filters):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def two_participants_one_per_condition(journey):
    """Balanced assignment puts the first two entrants in different conditions."""
    first, second = journey(), journey()
    first.consent()
    second.consent()
    by_condition = {p.participant().visibility: p for p in (first, second)}
    assert set(by_condition) == {"public", "private"}
    return by_condition


@pytest.mark.parametrize("condition", ["public", "private"])
def test_a_participant_completes_the_study_and_everything_is_recorded(app, journey, condition):
    walkers = two_participants_one_per_condition(journey)
    walker = walkers[condition]
    walker.thinking_style(answer=5, attention=2)
    assert walker.change("collar", "button_down").get_json()["design"]["collar"] == "button_down"
    walker.get("/design")
    walker.submit_design(monogram="jd")
    page = walker.page
    assert ("public gallery" in page) == (condition == "public")
    assert ("only you can see" in page.lower()) == (condition == "private")
    walker.see_suggestions()
    ids = walker.suggestion_ids()
    assert len(ids) == 3
    assert walker.decide(ids[0], "adopt").get_json()["decision"] == "adopted"
    assert walker.decide(ids[1], "reject").get_json()["decision"] == "rejected"
    walker.get("/revise")
    walker.submit_design("/revise")
    walker.closeness(4)
    walker.evaluation(6, wtp="55.50")
    walker.checks(manipulation=3)
    done = walker.demographics(age="34", gender="man")
    assert "DEMO-DONE" in done.get_data(as_text=True)

    p = walker.participant()
    assert p.status == "completed" and p.outcome == "completed" and p.visibility == condition
    # thinking style: 4 reverse-coded items answered 5 count as 3; mean of 4×5 and 4×3 = 4
    assert p.holism == pytest.approx(4.0)
    # evaluation: four items at 6 and one reverse-coded at 6 (→ 2): (24 + 2) / 5
    assert p.evaluation == pytest.approx(26 / 5)
    assert p.closeness == pytest.approx(4.0)
    assert p.attention_passed is True
    assert (p.n_suggestions, p.n_adopted, p.conformity, p.conformity_distance) == (3, 1, pytest.approx(1 / 3), 1)
    initial, final = Design.from_json(p.initial_design_json), Design.from_json(p.final_design_json)
    assert initial["collar"] == "button_down" and initial.monogram == "JD"
    suggestions = sorted(rows(app, Suggestion, participant_id=p.id), key=lambda s: s.position)
    adopted = suggestions[0]
    assert final[adopted.attribute] == adopted.suggested_level == adopted.final_level
    assert suggestions[1].final_level == suggestions[1].initial_level
    answers = {r.item_key: r.value_num if r.value_num is not None else r.value_text for r in rows(app, Response, participant_id=p.id)}
    assert answers["wtp"] == pytest.approx(55.5) and answers["age"] == 34 and answers["gender"] == "man"
    assert answers["mc_visibility"] == 3 and answers["ac_colour"] == "Orange"

    kinds = [e.kind for e in sorted(rows(app, Event, participant_id=p.id), key=lambda e: e.id)]
    for kind in ("consented", "assigned", "page_view", "attribute_changed", "design_submitted",
                 "suggestion_received", "suggestion_adopted", "suggestion_rejected", "answers_submitted",
                 "step_completed", "completed"):
        assert kind in kinds, kind
    completed_steps = [json.loads(e.payload) for e in rows(app, Event, participant_id=p.id, kind="step_completed")]
    assert len(completed_steps) == 9  # one per step of the demo's flow, consent to demographics
    assert all(step["seconds"] >= 0 for step in completed_steps)


def test_public_input_is_on_the_gallery_for_other_participants_and_private_input_never_is(app, journey):
    # Two designs submitted (placed by the journey functions, on their suggestions page): balanced
    # assignment puts them in different conditions.
    walkers = {walker.participant().visibility: walker for walker in (walker_at(app, "suggestions") for _ in range(2))}
    assert set(walkers) == {"public", "private"}
    texts = {}
    for condition, walker in walkers.items():
        texts[condition] = [s.text for s in rows(app, Suggestion, participant_id=walker.participant().id)]
    private_id = walkers["private"].participant().id
    # A third participant of the same study sees the public post, never the private one.
    third = journey()
    third.consent()
    gallery = third.get("/gallery").get_data(as_text=True)
    public_texts = [t for t in texts["public"] if t not in texts["private"]]
    private_texts = [t for t in texts["private"] if t not in texts["public"]]
    for text in public_texts:
        assert text.replace("'", "&#39;") in gallery
    for text in private_texts:
        assert text.replace("'", "&#39;") not in gallery
    # The private participant sees their own suggestions on their page, and on no gallery.
    private_page = walkers["private"].get("/suggestions").get_data(as_text=True)
    for text in texts["private"]:
        assert text.replace("'", "&#39;") in private_page
    # The private participant's suggestion ids are 404 for anyone else.
    private_suggestion = rows(app, Suggestion, participant_id=private_id)[0]
    walkers["public"].see_suggestions()
    response = walkers["public"].decide(private_suggestion.id, "adopt")
    assert response.status_code == 404
    assert rows(app, Suggestion, id=private_suggestion.id)[0].decision is None


def test_the_gallery_is_closed_to_people_outside_the_study(app, client):
    response = client.get("/s/demo/gallery")
    assert response.status_code == 404
    assert client.get("/s/no-such-study").status_code == 404


def test_prolific_ids_are_kept_pseudonymised_and_never_shown_back(app, journey):
    walker = journey(query="?PROLIFIC_PID=5f1e2d3c4b5a697887766554&STUDY_ID=abc&SESSION_ID=sess42")
    response = walker.client.get("/s/demo?PROLIFIC_PID=5f1e2d3c4b5a697887766554&STUDY_ID=abc&SESSION_ID=sess42")
    assert response.status_code == 303 and "PROLIFIC_PID" not in response.location
    walker.consent()  # the ids come in through the real entry link; the steps after it are not under test
    move_on(app, token_of(walker), "done")
    walker.get("/done")
    assert "5f1e2d3c4b5a697887766554" not in walker.page
    p = walker.participant()
    assert p.recruit_id_hash and "5f1e2d3c" not in p.recruit_id_hash and len(p.recruit_id_hash) == 64
    assert p.recruit_source == "prolific"
    # The same recruiting id in another browser gets a clear page, not a second entry.
    again = journey(query="?PROLIFIC_PID=5f1e2d3c4b5a697887766554")
    again.get(again.query)
    nonce = nonce_from(again.page)
    response = again.post("", {"nonce": nonce, "agree": "yes"})
    assert response.status_code == 409 and "already started" in response.get_data(as_text=True)
    assert count(app, Participant) == 1


def test_a_malformed_recruiting_id_gets_a_clear_error(client):
    response = client.get("/s/demo?PROLIFIC_PID=<script>")
    assert response.status_code == 400 and "identifier" in response.get_data(as_text=True)


def test_declining_keeps_no_personal_data(app, journey):
    walker = journey(query="?PROLIFIC_PID=declinerpid1")
    walker.get(walker.query)
    nonce = nonce_from(walker.page)
    response = walker.follow(walker.post("", {"nonce": nonce, "decline": "no"}))
    assert "return your submission" in response.get_data(as_text=True)
    assert count(app, Participant) == 0 and count(app, Event) == 0
    assert rows(app, Study, slug="demo")[0].declines == 1


def test_a_double_clicked_consent_creates_one_participant(app, journey):
    walker = journey()
    walker.get()
    nonce = nonce_from(walker.page)
    cookie_before = walker.client.get_cookie("session").value
    first = walker.post("", {"nonce": nonce, "agree": "yes"})
    # The second click was sent before the first response arrived: it carries the old cookie.
    walker.client.set_cookie("session", cookie_before)
    second = walker.post("", {"nonce": nonce, "agree": "yes"})
    assert first.status_code == second.status_code == 303
    assert count(app, Participant) == 1


def test_skipping_ahead_or_going_back_redirects_to_the_current_step(app, journey):
    walker = journey()
    walker.consent()
    for path in ("/design", "/revise", "/evaluation", "/done", ""):
        response = walker.client.get(f"/s/demo{path}")
        assert response.status_code == 303 and response.location.endswith("/s/demo/thinking-style"), path
    walker.thinking_style()
    response = walker.client.get("/s/demo/thinking-style")  # the back button
    assert response.status_code == 303 and response.location.endswith("/s/demo/design")
    assert "no-store" in walker.last.headers["Cache-Control"]


def test_a_completed_step_posted_again_changes_nothing(app, journey):
    walker = journey()
    walker.consent()
    token_page = walker.page
    walker.thinking_style(answer=6)
    before = count(app, Response)
    walker.page = token_page
    again = walker.post("/thinking-style", {k: 1 for k in ["ts_cause_context", "ts_cause_person"]})
    assert again.status_code == 303 and again.location.endswith("/design")
    assert count(app, Response) == before
    assert walker.participant().holism == pytest.approx(4.0)  # 6s with four reverse-coded → (24 + 8) / 8


@pytest.mark.parametrize("data, fragment", [
    ({"ts_cause_context": 8}, "Please choose one of the options"),
    ({"ts_cause_context": "seven"}, "Please choose one of the options"),
    ({}, "Please answer every statement"),
])
def test_out_of_range_or_missing_ratings_are_refused_and_nothing_is_saved(app, data, fragment):
    walker = walker_at(app, "thinking_style")
    answers = {k: 4 for k in walker.items()}
    answers.update(data)
    if not data:
        answers.pop("ts_cause_context")
    response = walker.post("/thinking-style", answers)
    assert response.status_code == 400
    assert fragment in response.get_data(as_text=True)
    assert count(app, Response) == 0 and walker.participant().step == "thinking_style"


@pytest.mark.parametrize("attribute, level, status", [
    ("collar", "ruffled", 400), ("sleeve", "long", 400), ("monogram", "ABCDE", 400), ("monogram", "Ä😀", 400),
    ("monogram", "", 200), ("colour", "navy", 200),
])
def test_the_live_editor_refuses_unknown_values_with_a_message(app, attribute, level, status):
    walker = walker_at(app, "design")
    before = walker.participant().design_json
    response = walker.change(attribute, level)
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"]
        assert walker.participant().design_json == before


def test_a_forged_design_form_is_refused_without_losing_the_design(app):
    walker = walker_at(app, "design")
    walker.change("colour", "navy")
    walker.get("/design")
    response = walker.post("/design", {**walker.design_choices(), "collar": "<script>", "submit": "Submit"})
    assert response.status_code == 400
    p = walker.participant()
    assert p.step == "design" and Design.from_json(p.design_json)["colour"] == "navy"


def test_design_changes_survive_a_reload_and_a_new_page_visit(app):
    walker = walker_at(app, "design")
    walker.change("pattern", "gingham")
    walker.change("monogram", "ab")
    page = walker.get("/design").get_data(as_text=True)
    assert 'name="pattern" value="gingham" checked' in page and 'value="AB"' in page


def test_forms_without_a_csrf_token_are_refused(app):
    walker = walker_at(app, "thinking_style")
    response = walker.client.post("/s/demo/thinking-style", data={"ts_cause_context": 4})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_a_forged_or_stale_session_cookie_starts_over_instead_of_failing(app):
    walker = walker_at(app, "thinking_style")
    walker.client.set_cookie("session", "forged.value.signature")
    response = walker.client.get("/s/demo/design")
    assert response.status_code == 303 and response.location.endswith("/s/demo")
    with walker.client.session_transaction() as session:
        session["participants"] = {"demo": "not-a-real-token"}
    assert walker.client.get("/s/demo/design").status_code == 303


def test_withdrawal_deletes_the_participant_and_keeps_only_a_count(app):
    walker = walker_at(app, "suggestions")
    walker.get("/withdraw")
    response = walker.post("/withdraw", {"confirm": "yes"})
    assert response.status_code == 200 and "deleted" in response.get_data(as_text=True)
    for model in (Participant, Event, Response, Suggestion):
        assert count(app, model) == 0, model
    assert rows(app, Study, slug="demo")[0].withdrawals == 1
    assert walker.client.get("/s/demo/design").status_code == 303


def test_past_the_time_limit_the_participant_is_timed_out_and_told_so(app):
    walker = browser_of(app, place(app, "thinking_style"))
    with app.app_context():
        p = db.session.execute(select(Participant)).scalar_one()
        p.deadline_at = p.entered_at.replace(year=2000)
        db.session.commit()
    page = walker.get("/thinking-style").get_data(as_text=True)
    assert "Time is up" in page and "DEMO-TIME" in page
    assert walker.participant().status == "timed_out"


def test_failing_the_attention_check_ends_with_its_own_code(app, journey):
    walker = journey()
    walker.consent()
    walker.thinking_style(attention=5)
    walker.submit_design()
    walker.see_suggestions()
    walker.submit_design("/revise")
    walker.closeness()
    walker.evaluation()
    walker.checks()
    page = walker.demographics().get_data(as_text=True)
    assert "DEMO-ATTN" in page and walker.participant().attention_passed is False


def test_preview_images_are_cached_by_digest_with_etag(app):
    walker = walker_at(app, "design")
    url = walker.change("collar", "wing").get_json()["preview_url"]
    first = walker.client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png" and first.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "immutable" in first.headers["Cache-Control"] and first.headers["ETag"]
    again = walker.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert walker.client.get("/preview/00000000000000000000.png").status_code == 404
    assert walker.client.get("/preview/not-a-digest.png").status_code == 404


def test_the_completion_page_sends_prolific_participants_back_with_the_study_code(app, journey):
    from experiments.definition import EXPERIMENTS_DIR, load_study
    from webapp.studies import install_definition
    with app.app_context():
        install_definition(load_study(EXPERIMENTS_DIR / "visibility.toml"))
        db.session.commit()
    walker = journey("visibility", query="?PROLIFIC_PID=abcdef123456&STUDY_ID=s&SESSION_ID=t")
    walker.consent()  # the ids come in through the real entry link; the steps after it are not under test
    move_on(app, token_of(walker), "done")
    page = walker.get("/done").get_data(as_text=True)
    target = "https://app.prolific.com/submissions/complete?cc=C1VISDONE"
    assert f'href="{target}"' in page and 'http-equiv="refresh"' not in page  # a button, after the code: no auto-redirect
    assert page.index("C1VISDONE<") < page.index(f'href="{target}"')
    assert "abcdef123456" not in page


def test_a_refused_monogram_is_explained_beside_the_field_and_the_typed_text_kept(app):
    walker = walker_at(app, "design")
    response = walker.post("/design", {**walker.design_choices(), "monogram": "J😀", "submit": "Submit"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    monogram_block = page[page.index('id="attr-monogram"'):]
    assert "A monogram may use only the letters A–Z, Ä, Ö, Ü." in monogram_block[:600]  # the demo speaks German too
    assert 'value="J😀"' in monogram_block[:1200]
    assert walker.participant().step == "design"
