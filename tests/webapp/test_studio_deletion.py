"""Deleting a participant on request from the studio, found by export id or by recruiting id."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from builders import (
    get_participant,
    logged_in,
    new_participant,
    study_row,
    token,
)
from scl_testing import csrf_from


# ---------------------------------------------------------------- deletion on request
def test_the_studio_deletes_a_participant_found_by_export_id(app, fast_hashes):
    from webapp import journey
    from webapp.extensions import db
    from webapp.models import Event, Participant, Suggestion
    client = logged_in(app)
    victim = new_participant(app, step="revise")
    bystander = new_participant(app, step="revise")
    with app.app_context():
        export_id = journey.pseudonym("demo", "participant", str(victim))[:16]
        answer_marker = db.session.get(Participant, victim).suggestions[0].text

    page = client.get("/studio/studies/demo/delete")
    assert page.status_code == 200
    csrf = csrf_from(page.get_data(as_text=True))
    missing = client.post("/studio/studies/demo/delete", data={"csrf_token": csrf, "identifier": "0123456789abcdef"})
    assert missing.status_code == 404 and "No participant" in missing.get_data(as_text=True)
    found = client.post("/studio/studies/demo/delete", data={"csrf_token": csrf, "identifier": f" {export_id} "})
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    victim_row = get_participant(app, victim)
    assert victim_row.cell in html and "revise" in html and "active" in html and export_id in html
    assert answer_marker not in html
    assert get_participant(app, victim) is not None  # nothing happens before the confirmation

    response = client.post("/studio/studies/demo/delete/confirm",
                           data={"csrf_token": csrf_from(html), "reference": export_id})
    assert response.status_code == 303
    assert get_participant(app, victim) is None and get_participant(app, bystander) is not None
    assert study_row(app).withdrawals == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.participant_id == victim)) == 0
        assert db.session.scalar(select(func.count()).select_from(Suggestion)
                                 .where(Suggestion.participant_id == victim)) == 0
        from webapp.studio import StudioAction
        actions = db.session.execute(select(StudioAction.action, StudioAction.detail)).all()
        assert [tuple(a) for a in actions] == [("participant_deleted", "on request")]  # nothing identifying
    # Confirming again finds nothing and deletes nothing more.
    again = client.post("/studio/studies/demo/delete/confirm", data={"csrf_token": csrf_from(html), "reference": export_id})
    assert again.status_code == 303 and study_row(app).withdrawals == 1


def test_the_studio_deletes_a_participant_found_by_recruiting_id(app, fast_hashes):
    client = logged_in(app)
    victim = new_participant(app, step="design", recruit={"pid": "5f1e2d3c4b5a69788796a5b4", "source": "prolific"})
    csrf = token(client, "/studio/studies/demo/delete")
    html = client.post("/studio/studies/demo/delete",
                       data={"csrf_token": csrf, "identifier": "5f1e2d3c4b5a69788796a5b4"}).get_data(as_text=True)
    assert "5f1e2d3c4b5a69788796a5b4" not in html  # the recruiting id is not echoed back
    reference = re.search(r'name="reference" type="hidden" value="([0-9a-f]{16})"', html).group(1)
    assert client.post("/studio/studies/demo/delete/confirm",
                       data={"csrf_token": csrf, "reference": reference}).status_code == 303
    assert get_participant(app, victim) is None and study_row(app).withdrawals == 1


# ---------------------------------------------------------------- the stored export id
def test_a_participant_carries_the_export_id_the_export_writes_from_entry(app, fast_hashes):
    from webapp.export import participant_id
    from webapp.extensions import db
    from webapp.models import Participant
    created = [new_participant(app) for _ in range(3)]
    with app.app_context():
        stored = {p.id: p.export_id for p in db.session.query(Participant).filter(Participant.id.in_(created))}
        assert stored == {internal: participant_id("demo", internal) for internal in created}


def test_rows_from_before_the_stored_export_id_are_found_and_filled_at_the_first_lookup(app, fast_hashes):
    from sqlalchemy import update

    from webapp.export import participant_id
    from webapp.extensions import db
    from webapp.models import Participant
    from webapp.privacy import participant_by_export_id
    old, other, new = (new_participant(app) for _ in range(3))
    with app.app_context():
        db.session.execute(update(Participant).where(Participant.id.in_((old, other))).values(export_id=None))
        db.session.commit()
        study_id = db.session.get(Participant, old).study_id
        assert participant_by_export_id(study_id, "demo", participant_id("demo", new)) == new  # no fill needed
        assert db.session.get(Participant, old).export_id is None
        assert participant_by_export_id(study_id, "demo", participant_id("demo", old).upper()) == old
        db.session.commit()
        filled = dict(db.session.execute(select(Participant.id, Participant.export_id)
                                         .where(Participant.id.in_((old, other)))).all())
        assert filled == {old: participant_id("demo", old), other: participant_id("demo", other)}
        # another study's id, a wrong length, nothing: no one
        assert participant_by_export_id(study_id + 1, "demo", participant_id("demo", old)) is None
        assert participant_by_export_id(study_id, "demo", participant_id("demo", old)[:15]) is None
        assert participant_by_export_id(study_id, "demo", "") is None
