"""The participants page refreshes itself: a JSON of the same rows (same filters, export ids only) that
static/participants.js polls, and a refresh link that keeps the filters for browsers without JavaScript."""

from __future__ import annotations

import re

from test_studio_participants import pid

from builders import get_participant, logged_in, new_participant
from webapp import journey
from webapp.extensions import db
from webapp.models import Participant


def live(client, query: str = ""):
    return client.get(f"/studio/studies/demo/participants.json{query}")


def test_the_json_holds_the_pages_rows_by_export_id_only(app, fast_hashes):
    client = logged_in(app)
    real = new_participant(app, step="design")
    simulated = new_participant(app, simulated=True)
    data = live(client).get_json()
    assert [row["participant"] for row in data["rows"]] == [pid(app, real)]  # test data only when asked
    row = data["rows"][0]
    assert (row["status"], row["step"], row["simulated"]) == ("active", "design", False)
    assert row["seconds_on_step"] >= 0 and row["deadline_at"].endswith("Z")
    everyone = live(client, "?kind=all").get_json()
    assert {r["participant"] for r in everyone["rows"]} == {pid(app, real), pid(app, simulated)}
    text = live(client, "?kind=all").get_data(as_text=True)
    for internal in (real, simulated):
        assert get_participant(app, internal).token not in text
        assert f'"id": {internal}' not in text and f'"id":{internal}' not in text


def test_the_json_follows_the_filters_and_sees_changes_since_the_page_was_loaded(app, fast_hashes):
    client = logged_in(app)
    first = new_participant(app)
    assert live(client, "?status=completed").get_json()["rows"] == []
    with app.app_context():
        journey.time_out(db.session.get(Participant, first))
        db.session.commit()
    rows = live(client, "?status=timed_out").get_json()["rows"]
    assert [r["participant"] for r in rows] == [pid(app, first)] and rows[0]["outcome"] == "timed_out"
    assert live(client, "?status=nonsense").status_code == 400


def test_the_page_carries_the_polling_address_and_a_refresh_link_with_its_filters(app, fast_hashes):
    client = logged_in(app)
    person = new_participant(app, step="design")
    html = client.get("/studio/studies/demo/participants?step=design&kind=all").get_data(as_text=True)
    url = re.search(r'id="participants-live"\s+data-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert url.startswith("/studio/studies/demo/participants.json?") and "step=design" in url and "kind=all" in url
    assert [r["participant"] for r in client.get(url).get_json()["rows"]] == [pid(app, person)]
    link = re.search(r'<a href="([^"]+)" id="refresh-link">', html).group(1).replace("&amp;", "&")
    assert "step=design" in link and "kind=all" in link and ".json" not in link
    assert "participants.js" in html
    for field in ("status", "step", "seconds_on_step", "deadline", "outcome"):
        assert f'data-field="{field}"' in html


def test_the_json_is_for_members_only(app, fast_hashes):
    assert app.test_client().get("/studio/studies/demo/participants.json").status_code == 401
    client = logged_in(app)
    assert client.get("/studio/studies/nope/participants.json").status_code == 404
