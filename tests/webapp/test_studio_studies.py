"""The studio's studies: who sees which, the study page, opening and pausing, pilot links and the export download."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC

import pytest
from sqlalchemy import func, select

from builders import (
    add_experimenter,
    consent,
    install_second_study,
    logged_in,
    login,
    new_participant,
    nonce_from,
    study_row,
    token,
)
from scl_testing import csrf_from


# ---------------------------------------------------------------- studies
def test_the_list_shows_only_ones_own_studies_and_others_do_not_exist(app, fast_hashes):
    install_second_study(app)
    add_experimenter(app, "y@lab.example", owns=("visibility",))
    client = logged_in(app, "x@lab.example", owns=("demo",))
    html = client.get("/studio/").get_data(as_text=True)
    assert "/studio/studies/demo" in html and "/studio/studies/visibility" not in html
    assert client.get("/studio/studies/demo").status_code == 200
    for url in ("/studio/studies/visibility", "/studio/studies/visibility/monitor",
                "/studio/studies/visibility/monitor.json", "/studio/studies/visibility/export.zip",
                "/studio/studies/visibility/delete", "/studio/studies/no-such-study"):
        assert client.get(url).status_code == 404, url
    csrf = token(client, "/studio/")
    for url in ("/studio/studies/visibility/status/close", "/studio/studies/visibility/pilot/public/stranger"):
        assert client.post(url, data={"csrf_token": csrf}).status_code == 404, url
    assert study_row(app, "visibility").status == "open"

    # The owner of Y adds X's experimenter as a member: now Y appears for them.
    owner_y = app.test_client()
    assert login(owner_y, "y@lab.example").status_code == 303
    response = owner_y.post("/studio/studies/visibility/members",
                            data={"csrf_token": token(owner_y, "/studio/studies/visibility"), "email": "x@lab.example"})
    assert response.status_code == 303
    # X becomes a member only by accepting the invitation shown on their studio page.
    invitation = re.search(r'name="invitation" value="(\d+)"', client.get("/studio/").get_data(as_text=True))
    client.post("/studio/invitations/accept", data={"csrf_token": csrf, "invitation": invitation.group(1)})
    html = client.get("/studio/").get_data(as_text=True)
    assert "/studio/studies/visibility" in html
    page = client.get("/studio/studies/visibility").get_data(as_text=True)
    assert "member" in page and "Add as member" not in page  # members cannot add others
    response = client.post("/studio/studies/visibility/members",
                           data={"csrf_token": csrf, "email": "y@lab.example"})
    assert response.status_code == 403


def test_the_study_page_shows_version_cells_and_entry_links(app, fast_hashes):
    client = logged_in(app)
    new_participant(app, step="design")
    html = client.get("/studio/studies/demo").get_data(as_text=True)
    assert "version <strong>1</strong>" in html and "demo.toml" in html
    assert "public/friend" in html and "private/friend" in html and "100" in html
    assert "http://localhost/s/demo" in html
    assert "?PROLIFIC_PID={{%PROLIFIC_PID%}}&amp;STUDY_ID={{%STUDY_ID%}}&amp;SESSION_ID={{%SESSION_ID%}}" in html
    assert 'style="' not in html and "<script>" not in html  # the CSP forbids both


def test_open_pause_close_change_the_status_and_paused_studies_refuse_participants(app, fast_hashes):
    from webapp.extensions import db
    from webapp.studio import StudioAction
    client = logged_in(app)
    csrf = token(client, "/studio/studies/demo")

    assert client.post("/studio/studies/demo/status/pause", data={"csrf_token": csrf}).status_code == 303
    assert study_row(app).status == "paused"
    visitor = app.test_client()
    page = visitor.get("/s/demo").get_data(as_text=True)
    assert "not taking participants" in page
    # Someone who loaded the consent form before the pause is turned away on submitting it.
    client.post("/studio/studies/demo/status/open", data={"csrf_token": csrf})
    late = app.test_client()
    html = late.get("/s/demo").get_data(as_text=True)
    nonce = nonce_from(html)
    client.post("/studio/studies/demo/status/pause", data={"csrf_token": csrf})
    response = late.post("/s/demo", data={"csrf_token": csrf_from(html), "nonce": nonce, "agree": "I agree"})
    assert response.status_code == 200 and "not taking participants" in response.get_data(as_text=True)

    # A pilot still works while the study is paused.
    response = client.post("/studio/studies/demo/pilot/private/friend", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].endswith("/s/demo")
    assert consent(client).status_code == 303
    with app.app_context():
        from webapp.models import Participant
        participants = db.session.execute(select(Participant)).scalars().all()
        assert [(p.is_pilot, p.cell) for p in participants] == [(True, "private/friend")]

    assert client.post("/studio/studies/demo/status/close", data={"csrf_token": csrf}).status_code == 303
    assert study_row(app).status == "closed"
    assert "not taking participants" in app.test_client().get("/s/demo").get_data(as_text=True)
    assert client.post("/studio/studies/demo/status/open", data={"csrf_token": csrf}).status_code == 303
    assert study_row(app).status == "open"
    assert consent(app.test_client()).status_code == 303
    assert client.post("/studio/studies/demo/status/delete", data={"csrf_token": csrf}).status_code == 404
    with app.app_context():
        recorded = db.session.execute(select(StudioAction.action, StudioAction.detail)
                                      .order_by(StudioAction.id)).all()
    assert [tuple(r) for r in recorded] == [
        ("status", "open -> paused"), ("status", "paused -> open"), ("status", "open -> paused"),
        ("status", "paused -> closed"), ("status", "closed -> open")]
    assert "paused -&gt; closed" in client.get("/studio/studies/demo").get_data(as_text=True)


@pytest.mark.parametrize("cell", ["public/friend", "private/friend"])
def test_a_pilot_link_creates_a_pilot_participant_in_the_chosen_cell(app, fast_hashes, cell):
    from webapp import journey
    from webapp.extensions import db
    from webapp.models import Participant
    client = logged_in(app)
    csrf = token(client, "/studio/studies/demo")
    with client.session_transaction() as session:
        session["participants"] = {"demo": "an-older-token"}
    response = client.post(f"/studio/studies/demo/pilot/{cell}", data={"csrf_token": csrf})
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert session["pilot"] == {"demo": cell}
        assert "demo" not in session["participants"]
    assert consent(client).status_code == 303
    with app.app_context():
        participant = db.session.execute(select(Participant)).scalar_one()
        assert participant.is_pilot and participant.cell == cell
        assert journey.occupied_counts(participant.study) == {}
    assert f"piloting cell <strong>{cell}</strong>" in client.get("/studio/studies/demo").get_data(as_text=True)

    # Pilot again: a fresh participant, not the previous one.
    client.post(f"/studio/studies/demo/pilot/{cell}", data={"csrf_token": csrf})
    assert consent(client).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant).where(Participant.is_pilot)) == 2

    assert client.post("/studio/studies/demo/pilot/stop", data={"csrf_token": csrf}).status_code == 303
    with client.session_transaction() as session:
        assert "demo" not in session.get("pilot", {}) and "demo" not in session.get("participants", {})
    assert client.post("/studio/studies/demo/pilot/public/nobody", data={"csrf_token": csrf}).status_code == 404


# ---------------------------------------------------------------- export
def test_the_export_downloads_as_a_dated_zip(app, fast_hashes):
    from datetime import datetime
    client = logged_in(app)
    new_participant(app, step="done")  # the export holds completed participants
    new_participant(app, step="done", pilot_cell="public/friend")
    response = client.get("/studio/studies/demo/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"demo-export-{day}.zip" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    plain = zipfile.ZipFile(io.BytesIO(response.data))
    with_pilot = zipfile.ZipFile(io.BytesIO(client.get("/studio/studies/demo/export.zip?include_pilot=1").data))
    assert plain.namelist() and plain.testzip() is None
    participants = [n for n in plain.namelist() if n.rsplit("/", 1)[-1] == "participants.csv"][0]

    def rows(archive):
        return list(csv.DictReader(io.StringIO(archive.read(participants).decode("utf-8-sig"))))
    assert len(rows(plain)) == 1 and len(rows(with_pilot)) == 2
