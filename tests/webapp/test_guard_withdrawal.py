"""Withdrawal leaves nothing linkable: not in others' events, not in design rows; counters count browsers."""

import json
import re

from sqlalchemy import func, select

from builders import nonce_from, participant_at
from scl_testing import Journey
from webapp.extensions import db
from webapp.models import DesignRecord, Event, Study


def reach_review(app, slug):
    return participant_at(app, "review", slug)


def test_a_withdrawn_designer_is_no_longer_named_in_the_reviewers_events(app, peer_study):
    first = reach_review(app, peer_study)
    first.follow(first.post("/review", {"skip": "Continue"}))
    second = reach_review(app, peer_study)
    level = next(lvl for attr, lvl in re.findall(r'<option value="(\w+):(\w+)"', second.page) if attr == "collar")
    assert second.post("/review", {"suggestion": f"collar:{level}", "comment": "nice", "submit": "Send"}).status_code == 303
    first_id, second_id = first.participant().id, second.participant().id
    first.get("/withdraw")
    first.post("/withdraw", {"confirm": "yes"})
    with app.app_context():
        payloads = [json.loads(p) for p in db.session.execute(
            select(Event.payload).where(Event.participant_id == second_id)).scalars()]
        assert not any(p.get("target") == first_id for p in payloads)
        assert sum(1 for p in payloads if p.get("target_withdrawn")) == 2  # review_assigned, peer_suggestion_made
        assert db.session.scalar(select(func.count()).where(DesignRecord.participant_id == first_id)) == 0
        assert db.session.scalar(select(func.count()).where(Event.participant_id == first_id)) == 0


def test_one_browser_declining_again_and_again_counts_once(app):
    walker = Journey(app)
    for _ in range(4):
        walker.get()
        nonce = nonce_from(walker.page)
        assert walker.post("", {"nonce": nonce, "decline": "yes"}).status_code == 303
    with app.app_context():
        assert db.session.execute(select(Study.declines).where(Study.slug == "demo")).scalar_one() == 1
