"""Server-side accessibility (WCAG 2.1 AA): no page refreshes or redirects by itself, a rejected answer is tied
to its field, scale options are named with their anchors, and the waiting page has a status URL to poll."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from builders import browser_of, demo_as, install_study, place, recent_entries, study_data, walker_at
from webapp.extensions import db
from webapp.models import Event

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
META_REFRESH = re.compile(r"http-equiv=[\"']?refresh", re.I)


def test_no_template_refreshes_or_redirects_by_itself():
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if META_REFRESH.search(p.read_text())]
    assert offenders == []


def test_no_page_of_a_whole_walk_has_a_meta_refresh(app, journey):
    walk = journey()
    walk.get()
    pages = [walk.page]
    walk.consent()
    for _ in range(30):
        pages.append(walk.page)
        if walk.current_step() is None:
            break
        walk.answer(walk.current_step())
    assert "DEMO-DONE" in walk.page
    assert len(pages) >= 10 and not [p for p in pages if META_REFRESH.search(p)]


def _error_target(page: str, error_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(error_id)}">([^<]+)</p>', page)
    assert found, f"no error message with id {error_id}"
    return found.group(1)


def test_a_rejected_questionnaire_ties_each_error_to_its_radios(app):
    walk = walker_at(app, "thinking_style")
    response = walk.post("/thinking-style", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    radios = re.findall(r"<input[^>]*type=\"radio\"[^>]*>", page)
    assert radios and all('aria-invalid="true"' in r for r in radios)
    described = {re.search(r'aria-describedby="([^"]+)"', r).group(1) for r in radios}
    assert len(described) == len(set(re.findall(r'name="(ts_\w+)"', page)))  # one message per item
    for error_id in described:
        assert "choose one of the options" in _error_target(page, error_id)


def test_only_the_wrong_answers_are_marked_invalid(app):
    walk = walker_at(app, "demographics")
    page = walk.post("/demographics", {"age": "7", "gender": ""}).get_data(as_text=True)
    age = re.search(r'<input[^>]*name="age"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in age and 'aria-describedby="age-error"' in age
    assert _error_target(page, "age-error")
    gender = re.search(r'<select[^>]*name="gender"[^>]*>', page).group(0)
    assert "aria-invalid" not in gender
    assert re.search(r'<label for="age">', page)


def test_an_out_of_range_price_is_tied_to_the_price_field(app):
    walk = walker_at(app, "evaluation")
    data = {k: 6 for k in walk.items()}
    page = walk.post("/evaluation", {**data, "wtp": "-5"}).get_data(as_text=True)
    wtp = re.search(r'<input[^>]*name="wtp"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in wtp and 'aria-describedby="wtp-error"' in wtp
    assert 'aria-labelledby="wtp-legend wtp-currency"' in wtp
    assert _error_target(page, "wtp-error")
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', page)
    assert radios and not [r for r in radios if "aria-invalid" in r]  # the answered items are fine


def test_a_refused_monogram_is_tied_to_its_input(app):
    walk = walker_at(app, "design")
    page = walk.post("/design", {**walk.design_choices(), "monogram": "A1", "submit": "x"}).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="monogram"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="monogram-hint attr-monogram-error"' in field
    assert re.search(r'id="attr-monogram-error" data-field-error >[^<]*\w', page)
    calm = walk.get("/design").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="monogram"[^>]*>', calm).group(0)
    assert "aria-invalid" not in field and 'aria-describedby="monogram-hint"' in field


def test_scale_options_are_named_with_their_anchors(app):
    walk = walker_at(app, "thinking_style")
    labels = re.findall(r'<label class="likert-option">(.*?)</label>', walk.page, re.S)
    first, middle, last = (re.sub(r"<[^>]+>|\s+", " ", labels[i]).split() for i in (0, 3, 6))
    assert " ".join(first) == "1 – Strongly disagree"
    assert " ".join(middle) == "4"
    assert " ".join(last) == "7 – Strongly agree"
    assert 'class="anchor low" aria-hidden="true"' in walk.page  # heard once, in the names


def test_closeness_options_are_named_in_words_and_differ_by_more_than_colour(app):
    walk = walker_at(app, "closeness", language="de")
    assert "1 von 7: weit auseinander, die Kreise berühren sich nicht" in walk.page
    assert "7 von 7: die Kreise liegen fast ganz übereinander" in walk.page
    assert walk.page.count(">Ich</text>") == walk.page.count(">Andere</text>") >= 7
    assert 'id="ios-hatch"' in walk.page


def test_the_done_page_redirects_only_by_a_button_after_showing_the_code(app, journey):
    data = study_data("demo", "redirecting")
    data["completion"]["completed"] = {"code": "RDR-OK", "redirect": "https://app.prolific.com/submissions/complete?cc=RDR-OK"}
    slug = install_study(app, data, "redirecting")
    walk = browser_of(app, place(app, "done", slug), slug)  # completed by the journey functions: the page is under test
    walk.get("/done")
    assert walk.path == f"/s/{slug}/done"
    assert not META_REFRESH.search(walk.page)
    code_at = walk.page.index("RDR-OK<")
    button = re.search(r'<a class="button primary" href="([^"]+)" id="return-link">', walk.page)
    assert button and button.start() > code_at and "cc=RDR-OK" in button.group(1)


def _waiting(app, peer_study):
    recent_entries(app, peer_study, range(10, 100, 10))  # traffic enough that waiting for a peer is worth it
    walk = walker_at(app, "review", peer_study)
    walk.follow(walk.post("/review", {"skip": "Continue"}))
    assert "Collecting suggestions" in walk.page
    return walk


def test_the_waiting_page_offers_a_status_url_and_a_check_again_button(app, peer_study):
    walk = _waiting(app, peer_study)
    assert not META_REFRESH.search(walk.page)
    assert f'data-status-url="/s/{peer_study}/suggestions/status"' in walk.page
    assert re.search(rf'<a class="button primary" href="/s/{peer_study}/suggestions" id="check-again">', walk.page)


def test_the_waiting_status_says_not_yet_then_ready_without_logging_page_views(app, peer_study, clock):
    walk = _waiting(app, peer_study)
    with app.app_context():
        views = db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "page_view"))
    status = walk.get("/suggestions/status").get_json()
    assert status["ready"] is False and status["remaining"] > 0 and status["url"].endswith("/suggestions")
    clock.advance(10 * 60)  # the planned wait for peers is over
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "page_view")) == views
    status = walk.get("/suggestions/status").get_json()
    assert status == {"ready": True, "remaining": 0, "url": f"/s/{peer_study}/suggestions"}
    walk.get("/suggestions")
    assert "Suggestions for your shirt" in walk.page


def test_the_waiting_status_without_a_session_points_to_the_entry(app, client):
    demo_as(app, "other")
    response = client.get("/s/other/suggestions/status")
    assert response.status_code == 200 and response.get_json() == {"ready": True, "url": "/s/other"}


def test_adopt_and_reject_report_their_state_without_javascript(app):
    walk = walker_at(app, "revise")
    first = walk.suggestion_ids()[0]
    assert walk.post(f"/revise/suggestions/{first}", {"decision": "adopt"}).status_code == 303
    page = walk.get("/revise").get_data(as_text=True)
    card = page[page.index(f'id="suggestion-{first}"'):]
    card = card[:card.index("</article>")]
    assert re.search(r'aria-pressed="true">Adopt<', card) and re.search(r'aria-pressed="false">Reject<', card)
    assert page.count('aria-pressed="true"') == 1
    assert '<p class="visually-hidden" role="status" id="decision-status"></p>' in page
