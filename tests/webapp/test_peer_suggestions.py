"""Suggestions from real earlier participants: reviewed, delivered, attributed, and unlinked on withdrawal."""

import re

import pytest
from sqlalchemy import select

from builders import browser_of, place, recent_entries, walker_at
from webapp.domain.design import Design
from webapp.extensions import db
from webapp.models import Participant, PeerSuggestion, Suggestion


def reach_review(journey, slug):
    """A participant on the review page (placed there: these tests are about reviewing, not the walk)."""
    return walker_at(journey(slug).app, "review", slug)


def past_review(app, slug):
    """An earlier participant whose design is submitted and who is past the review (waiting for suggestions)."""
    return browser_of(app, place(app, "suggestions", slug), slug)


def test_a_peer_suggestion_reaches_the_designer_with_its_source_and_escaped_comment(app, journey, peer_study):
    recent_entries(app, peer_study, range(10, 100, 10))  # traffic enough that waiting for a peer is worth it
    first = reach_review(journey, peer_study)
    assert "nothing to review" in first.page
    first.follow(first.post("/review", {"skip": "Continue"}))
    assert "Collecting suggestions" in first.page  # a page that says what is happening, not a blank wait
    assert 'http-equiv="refresh"' not in first.page and "Check again" in first.page  # updates itself by script

    second = reach_review(journey, peer_study)
    first_design = Design.from_json(first.participant().initial_design_json)
    assert "Suggest one change" in second.page
    options = re.findall(r'<option value="(\w+):(\w+)"', second.page)
    assert ("collar", first_design["collar"]) not in options  # never suggest what the shirt already has
    level = next(lvl for attr, lvl in options if attr == "collar")
    response = second.post("/review", {"suggestion": f"collar:{level}", "comment": "<b>Bold</b> move!", "submit": "Send"})
    assert response.status_code == 303

    page = first.get("/suggestions").get_data(as_text=True)
    designer_id, reviewer_id = first.participant().id, second.participant().id
    with app.app_context():
        received = db.session.execute(select(Suggestion).where(Suggestion.participant_id == designer_id)
                                      .order_by(Suggestion.position)).scalars().all()
        sources = sorted(s.source for s in received)
        peer = next(s for s in received if s.source == "peer")
        assert sources == ["peer", "scripted"]
        assert (peer.attribute, peer.suggested_level) == ("collar", level)
        assert peer.suggester_id == reviewer_id and peer.comment == "<b>Bold</b> move!"
        assert db.session.execute(select(PeerSuggestion)).scalar_one().used
    assert "&lt;b&gt;Bold&lt;/b&gt; move!" in page and "<b>Bold</b>" not in page

    # The reviewer withdraws: the suggestion stays with the designer, without a link or their words.
    second.get("/withdraw")
    second.post("/withdraw", {"confirm": "yes"})
    with app.app_context():
        kept = db.session.get(Suggestion, peer.id)
        assert kept is not None and kept.suggester_id is None and kept.comment is None
        assert kept.text and kept.source == "peer"


@pytest.mark.parametrize("suggestion, comment, fragment", [
    ("collar:ruffled", "", "choose one of the suggested changes"),
    ("sleeve:long", "", "choose one of the suggested changes"),
    ("", "", "choose one of the suggested changes"),
    (None, "x" * 81, "80 characters"),
])
def test_a_bad_review_is_refused_with_a_message_and_records_nothing(app, journey, peer_study, suggestion, comment, fragment):
    past_review(app, peer_study)
    second = reach_review(journey, peer_study)
    if suggestion is None:
        suggestion = "collar:" + next(lvl for attr, lvl in re.findall(r'<option value="(\w+):(\w+)"', second.page) if attr == "collar")
    response = second.post("/review", {"suggestion": suggestion, "comment": comment, "submit": "Send"})
    assert response.status_code == 400 and fragment in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(PeerSuggestion)).first() is None
    assert second.participant().step == "review"


def test_suggesting_what_the_shirt_already_has_is_refused(app, journey, peer_study):
    first = past_review(app, peer_study)
    second = reach_review(journey, peer_study)
    current = Design.from_json(first.participant().initial_design_json)["collar"]
    response = second.post("/review", {"suggestion": f"collar:{current}", "submit": "Send"})
    assert response.status_code == 400 and "already has that" in response.get_data(as_text=True)


def test_without_enough_peers_the_designer_gets_scripted_suggestions_after_the_wait(app, journey, peer_study):
    first = reach_review(journey, peer_study)
    first.follow(first.post("/review", {"skip": "Continue"}))
    designer_id = first.participant().id
    with app.app_context():
        row = db.session.get(Participant, designer_id)
        row.initial_submitted_at = row.initial_submitted_at.replace(year=2000)
        db.session.commit()
    page = first.get("/suggestions").get_data(as_text=True)
    assert "Collecting suggestions" not in page
    designer_id = first.participant().id
    with app.app_context():
        received = db.session.execute(select(Suggestion).where(Suggestion.participant_id == designer_id)).scalars().all()
        assert [s.source for s in received] == ["scripted", "scripted"]
