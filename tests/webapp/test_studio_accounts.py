"""Studio accounts: sessions that end, member roles, invitations that reveal nothing, the password policy."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import event, select

from builders import PASSWORD, add_experimenter, logged_in, login, new_participant, study_row, token
from scl_testing import csrf_from

NEW_PASSWORD = "a quite different sentence"


def members(app, slug: str = "demo") -> dict[str, str]:
    from webapp.extensions import db
    from webapp.models import Experimenter, StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        rows = db.session.execute(select(Experimenter.email, StudyMember.role)
                                  .join(StudyMember, StudyMember.experimenter_id == Experimenter.id)
                                  .where(StudyMember.study_id == study_by_slug(slug).id)).all()
        return dict(rows)


def experimenter_id(app, email: str) -> int:
    from webapp.accounts import find_experimenter
    with app.app_context():
        return find_experimenter(email).id


def copy_of(app, client):
    """A second browser holding a copy of this one's session cookie (as a thief would)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def invite(owner, email: str, role: str = "editor", slug: str = "demo"):
    return owner.post(f"/studio/studies/{slug}/members",
                      data={"csrf_token": token(owner, f"/studio/studies/{slug}"), "email": email, "role": role})


def accept_all(client) -> None:
    html = client.get("/studio/").get_data(as_text=True)
    for invitation in re.findall(r'action="/studio/invitations/accept".*?name="invitation" value="(\d+)"', html, re.S):
        assert client.post("/studio/invitations/accept",
                           data={"csrf_token": csrf_from(html), "invitation": invitation}).status_code == 303


def member_of(app, owner, email: str, role: str) -> object:
    """A logged-in client of a new account that has accepted `role` in the demo study."""
    client = logged_in(app, email, owns=())
    assert invite(owner, email, role).status_code == 303
    accept_all(client)
    assert members(app)[email] == role
    return client


# ---------------------------------------------------------------- sessions
def test_a_cookie_copied_before_logout_no_longer_opens_the_studio(app, fast_hashes):
    client = logged_in(app)
    stolen = copy_of(app, client)
    assert stolen.get("/studio/").status_code == 200
    assert client.post("/studio/logout", data={"csrf_token": token(client, "/studio/")}).status_code == 303
    assert stolen.get("/studio/").status_code == 302
    assert stolen.get("/studio/studies/demo/monitor.json").status_code == 401
    again = app.test_client()
    assert login(again, "owner@lab.example").status_code == 303 and again.get("/studio/").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, fast_hashes):
    client = logged_in(app)
    elsewhere = app.test_client()
    assert login(elsewhere, "owner@lab.example").status_code == 303
    stolen = copy_of(app, client)
    csrf = token(client, "/studio/account/password")
    wrong = client.post("/studio/account/password", data={"csrf_token": csrf, "current": "not my password",
                                                           "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    assert elsewhere.get("/studio/").status_code == 200
    changed = client.post("/studio/account/password", data={"csrf_token": csrf, "current": PASSWORD,
                                                             "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert changed.status_code == 303
    assert client.get("/studio/").status_code == 200
    assert elsewhere.get("/studio/").status_code == 302 and stolen.get("/studio/").status_code == 302
    assert login(app.test_client(), "owner@lab.example").status_code == 401
    assert login(app.test_client(), "owner@lab.example", NEW_PASSWORD).status_code == 303


def test_the_password_command_ends_every_session(app, fast_hashes):
    client = logged_in(app)
    result = app.test_cli_runner().invoke(args=["set-experimenter-password", "owner@lab.example", "--password-stdin"],
                                          input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert client.get("/studio/").status_code == 302


# ---------------------------------------------------------------- roles
def test_viewers_watch_and_export_but_cannot_steer_upload_pilot_or_delete(app, fast_hashes):
    from experiments.definition import EXPERIMENTS_DIR
    owner = logged_in(app)
    viewer = member_of(app, owner, "viewer@lab.example", "viewer")
    participant = new_participant(app, step="design")
    assert viewer.get("/studio/studies/demo").status_code == 200
    assert viewer.get("/studio/studies/demo/monitor").status_code == 200
    assert viewer.get("/studio/studies/demo/monitor.json").status_code == 200
    assert viewer.get("/studio/studies/demo/export.zip").status_code == 200
    page = viewer.get("/studio/studies/demo").get_data(as_text=True)
    assert "/status/close" not in page and "/pilot/" not in page and "/studio/studies/demo/delete" not in page
    csrf = token(viewer, "/studio/studies/demo")
    for url in ("/studio/studies/demo/status/close", "/studio/studies/demo/pilot/private/friend"):
        refused = viewer.post(url, data={"csrf_token": csrf})
        assert refused.status_code == 403 and "viewer" in refused.get_data(as_text=True), url
    assert viewer.get("/studio/studies/demo/delete").status_code == 403
    assert viewer.post("/studio/studies/demo/delete/confirm",
                       data={"csrf_token": csrf, "reference": "0" * 16}).status_code == 403
    source = (EXPERIMENTS_DIR / "demo.toml").read_text("utf-8").replace('title = "', 'title = "Changed ', 1)
    upload = viewer.post("/studio/upload", data={"csrf_token": csrf, "file": (io.BytesIO(source.encode()), "d.toml")},
                         content_type="multipart/form-data")
    assert upload.status_code == 400 and "viewer" in upload.get_data(as_text=True)
    assert study_row(app).status == "open"
    from webapp.extensions import db
    from webapp.models import Participant, StudyVersion
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(StudyVersion)).scalar_one() == 1
        assert db.session.get(Participant, participant) is not None
        assert db.session.execute(select(Participant).where(Participant.is_pilot)).first() is None


def test_editors_steer_but_do_not_manage_members(app, fast_hashes):
    owner = logged_in(app)
    editor = member_of(app, owner, "editor@lab.example", "editor")
    csrf = token(editor, "/studio/studies/demo")
    assert editor.post("/studio/studies/demo/status/pause", data={"csrf_token": csrf}).status_code == 303
    assert study_row(app).status == "paused"
    assert invite(editor, "someone@lab.example").status_code == 403
    owner_id = experimenter_id(app, "owner@lab.example")
    assert editor.post("/studio/studies/demo/members/remove",
                       data={"csrf_token": csrf, "experimenter": owner_id}).status_code == 403
    assert members(app)["owner@lab.example"] == "owner"


def test_owners_change_roles_and_remove_members_but_the_last_owner_stays(app, fast_hashes):
    owner = logged_in(app)
    member_of(app, owner, "second@lab.example", "editor")
    csrf = token(owner, "/studio/studies/demo")
    owner_id, second_id = experimenter_id(app, "owner@lab.example"), experimenter_id(app, "second@lab.example")

    assert owner.post("/studio/studies/demo/members/remove",
                      data={"csrf_token": csrf, "experimenter": owner_id}).status_code == 409
    demoted = owner.post("/studio/studies/demo/members/role",
                         data={"csrf_token": csrf, "experimenter": owner_id, "role": "viewer"})
    assert demoted.status_code == 409 and "owner" in demoted.get_data(as_text=True)
    assert members(app)["owner@lab.example"] == "owner"

    assert owner.post("/studio/studies/demo/members/role",
                      data={"csrf_token": csrf, "experimenter": second_id, "role": "viewer"}).status_code == 303
    assert members(app)["second@lab.example"] == "viewer"
    assert owner.post("/studio/studies/demo/members/role",
                      data={"csrf_token": csrf, "experimenter": second_id, "role": "owner"}).status_code == 303
    # With two owners, one may step down or leave.
    assert owner.post("/studio/studies/demo/members/remove",
                      data={"csrf_token": csrf, "experimenter": owner_id}).status_code == 303
    assert members(app) == {"second@lab.example": "owner"}
    assert owner.get("/studio/studies/demo").status_code == 404
    assert owner.post("/studio/studies/demo/members/role",
                      data={"csrf_token": csrf, "experimenter": second_id, "role": "bogus"}).status_code == 404

    from webapp.extensions import db
    from webapp.models import StudioAction
    with app.app_context():
        actions = db.session.execute(select(StudioAction.action).order_by(StudioAction.id)).scalars().all()
    assert actions.count("member_role") == 2 and actions.count("member_removed") == 1


def test_removing_a_member_ends_their_access(app, fast_hashes):
    owner = logged_in(app)
    editor = member_of(app, owner, "editor@lab.example", "editor")
    assert editor.get("/studio/studies/demo").status_code == 200
    owner.post("/studio/studies/demo/members/remove", data={"csrf_token": token(owner, "/studio/studies/demo"),
                                                            "experimenter": experimenter_id(app, "editor@lab.example")})
    assert editor.get("/studio/studies/demo").status_code == 404


# ---------------------------------------------------------------- invitations
def test_inviting_answers_alike_whether_or_not_the_email_has_an_account(app, fast_hashes):
    from webapp.extensions import db
    owner = logged_in(app)
    add_experimenter(app, "exists@lab.example")
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    responses, counts = {}, {}
    with app.app_context():
        engine = db.engine
    for email in ("exists@lab.example", "nobody@lab.example"):
        csrf = token(owner, "/studio/studies/demo")
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = owner.post("/studio/studies/demo/members",
                                  data={"csrf_token": csrf, "email": email, "role": "editor"})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[email] = len(statements)
        assert response.status_code == 303
        flashed = owner.get(response.headers["Location"]).get_data(as_text=True)
        responses[email] = re.search(r'<p class="flash info">(.*?)</p>', flashed).group(1).replace(email, "EMAIL")
    assert responses["exists@lab.example"] == responses["nobody@lab.example"]
    assert counts["exists@lab.example"] == counts["nobody@lab.example"] > 0  # the same work either way
    assert set(members(app)) == {"owner@lab.example"}  # nobody is added without accepting


def test_an_invitation_waits_for_the_invitee_even_before_their_account_exists(app, fast_hashes):
    owner = logged_in(app)
    assert invite(owner, "Later@Lab.example", "viewer").status_code == 303
    page = owner.get("/studio/studies/demo").get_data(as_text=True)
    assert "later@lab.example" in page and "Withdraw" in page
    later = logged_in(app, "later@lab.example", owns=())
    home = later.get("/studio/").get_data(as_text=True)
    assert "Invitations waiting for you" in home and "viewer" in home
    assert later.get("/studio/studies/demo").status_code == 404  # not a member before accepting
    accept_all(later)
    assert members(app)["later@lab.example"] == "viewer"
    assert "Invitations waiting for you" not in later.get("/studio/").get_data(as_text=True)


def test_an_invitation_is_only_for_its_email_and_can_be_declined_or_withdrawn(app, fast_hashes):
    from webapp.extensions import db
    from webapp.models import StudyInvitation
    owner = logged_in(app)
    invite(owner, "invitee@lab.example")
    invite(owner, "withdrawn@lab.example")
    with app.app_context():
        ids = dict(db.session.execute(select(StudyInvitation.email, StudyInvitation.id)).all())
    stranger = logged_in(app, "stranger@lab.example", owns=())
    csrf = token(stranger, "/studio/")
    assert stranger.post("/studio/invitations/accept",
                         data={"csrf_token": csrf, "invitation": ids["invitee@lab.example"]}).status_code == 404
    invitee = logged_in(app, "invitee@lab.example", owns=())
    assert invitee.post("/studio/invitations/decline", data={"csrf_token": token(invitee, "/studio/"),
                                                              "invitation": ids["invitee@lab.example"]}).status_code == 303
    assert owner.post("/studio/studies/demo/invitations/withdraw",
                      data={"csrf_token": token(owner, "/studio/studies/demo"),
                            "invitation": ids["withdrawn@lab.example"]}).status_code == 303
    withdrawn = logged_in(app, "withdrawn@lab.example", owns=())
    assert "Invitations waiting" not in withdrawn.get("/studio/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(StudyInvitation)).first() is None
    assert set(members(app)) == {"owner@lab.example"}


# ---------------------------------------------------------------- password policy
@pytest.mark.parametrize("weak", ["short pass", "aaaaaaaaaaaaaaaa", "passwordpassword", "Password2024!",
                                  "123456789012", "qwertyuiopasdf", "abcabcabcabc", "iloveyou1234",
                                  "correct horse battery staple", "owner@lab.example1"])
def test_the_password_policy_refuses_short_common_and_patterned_passwords(weak):
    from webapp.accounts import AccountError, check_password
    with pytest.raises(AccountError):
        check_password(weak, "owner@lab.example")


@pytest.mark.parametrize("fine", [PASSWORD, NEW_PASSWORD, "Tr0mbone-Lantern-Fjord", "kettle owl nineteen"])
def test_the_password_policy_accepts_long_uncommon_passwords(fine):
    from webapp.accounts import check_password
    assert check_password(fine, "owner@lab.example") == fine


def test_account_creation_and_password_change_apply_the_policy(app, fast_hashes):
    from webapp.accounts import find_experimenter
    runner = app.test_cli_runner()
    for weak in ("aaaaaaaaaaaaaaaa", "password123456"):
        result = runner.invoke(args=["create-experimenter", "weak@lab.example", "--password-stdin"], input=f"{weak}\n")
        assert result.exit_code == 1 and "too easy to guess" in result.output, result.output
    assert runner.invoke(args=["create-experimenter", "weak@lab.example", "--password-stdin"],
                         input="elevenchars\n").output.count("at least 12") == 1
    with app.app_context():
        assert find_experimenter("weak@lab.example") is None
    client = logged_in(app)
    refused = client.post("/studio/account/password",
                          data={"csrf_token": token(client, "/studio/account/password"), "current": PASSWORD,
                                "new": "qwertyqwerty", "repeat": "qwertyqwerty"})
    assert refused.status_code == 400 and "too easy to guess" in refused.get_data(as_text=True)
    assert login(app.test_client(), "owner@lab.example").status_code == 303  # unchanged
