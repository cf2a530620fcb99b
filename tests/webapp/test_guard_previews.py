"""Design previews: keyed addresses, shown only to those allowed, gone after withdrawal."""

from sqlalchemy import func, select

from builders import participant_at
from webapp.domain.design import Design
from webapp.extensions import db
from webapp.models import DesignRecord, Participant


def designing(app, slug="demo"):
    return participant_at(app, "design", slug)


def test_a_preview_needs_a_session_allowed_to_see_it(app):
    owner = designing(app)
    url = owner.change("monogram", "ABC").get_json()["preview_url"]
    assert owner.client.get(url).status_code == 200
    assert app.test_client().get(url).status_code == 404  # no session at all
    stranger = designing(app)
    assert stranger.client.get(url).status_code == 404  # another participant; the design is not posted publicly


def test_the_plain_content_hash_of_a_design_reveals_nothing(app):
    owner = designing(app)
    url = owner.change("monogram", "ABC").get_json()["preview_url"]
    with app.app_context():
        design = Design.from_json(owner.participant().design_json)
        plain = design.digest()
    assert plain not in url
    assert owner.client.get(f"/preview/{plain}.png").status_code == 404


def test_previews_are_private_in_caches_and_the_cache_does_not_bypass_the_check(app):
    owner = designing(app)
    url = owner.change("collar", "wing").get_json()["preview_url"]
    first = owner.client.get(url)
    assert first.headers["Cache-Control"].startswith("private")
    stranger = designing(app)
    assert stranger.client.get(url).status_code == 404  # rendered and cached already, still refused
    assert stranger.client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404


def test_withdrawal_removes_the_participants_designs_and_previews(app):
    owner = designing(app)
    url = owner.change("collar", "wing").get_json()["preview_url"]
    with app.app_context():
        owner_id = owner.participant().id
        assert db.session.scalar(select(func.count()).where(DesignRecord.participant_id == owner_id)) > 0
    owner.get("/withdraw")
    owner.post("/withdraw", {"confirm": "yes"})
    with app.app_context():
        assert db.session.get(Participant, owner_id) is None
        assert db.session.scalar(select(func.count()).select_from(DesignRecord)) == 0
    assert owner.client.get(url).status_code == 404
