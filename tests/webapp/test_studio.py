"""The experimenter studio: accounts, login, studies, pilot, monitor, export and deletion, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from datetime import UTC, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from builders import cheap_hasher, nonce_from
from scl_testing import csrf_from

PASSWORD = "correct horse battery"


# ---------------------------------------------------------------- helpers
def add_experimenter(app, email: str, password: str = PASSWORD, owns: tuple[str, ...] = ()) -> int:
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        experimenter = create_experimenter(email, password)
        for slug in owns:
            db.session.add(StudyMember(study_id=study_by_slug(slug).id, experimenter_id=experimenter.id, role="owner"))
        db.session.commit()
        return experimenter.id


def install_second_study(app, slug: str = "visibility") -> None:
    from experiments.definition import EXPERIMENTS_DIR, load_study
    from webapp.extensions import db
    from webapp.studies import install_definition
    with app.app_context():
        install_definition(load_study(EXPERIMENTS_DIR / f"{slug}.toml"), f"{slug}.toml")
        db.session.commit()


def login(client, email: str, password: str = PASSWORD, **kwargs):
    html = client.get("/studio/login").get_data(as_text=True)
    return client.post("/studio/login", data={"csrf_token": csrf_from(html), "email": email, "password": password},
                       **kwargs)


def token(client, url: str = "/studio/login") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def logged_in(app, email: str = "owner@lab.example", owns: tuple[str, ...] = ("demo",)):
    add_experimenter(app, email, owns=owns)
    client = app.test_client()
    assert login(client, email).status_code == 303
    return client


def new_participant(app, slug: str = "demo", *, pilot_cell: str | None = None, step: str | None = None,
                    simulated: bool = False, recruit: dict | None = None) -> int:
    """A participant created by the journey functions and moved on to `step` (default: first step after consent)."""
    from webapp import journey
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    with app.app_context():
        entry = journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), recruit, pilot_cell=pilot_cell,
                              simulated=simulated)
        assert entry.outcome == "entered", entry.outcome
        participant = entry.participant
        while step is not None and participant.step != step:
            if participant.step == "design":
                journey.submit_initial_design(participant)
            elif participant.step == "revise":
                journey.submit_final_design(participant)
            journey.advance(participant)
        db.session.commit()
        return participant.id


def get_participant(app, participant_id: int):
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        if participant is not None:
            db.session.expunge(participant)
        return participant


def study_row(app, slug: str = "demo"):
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    with app.app_context():
        study = study_by_slug(slug)
        db.session.expunge(study)
        return study


def consent(client, slug: str = "demo", decline: bool = False):
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    nonce = nonce_from(html)
    assert nonce, html[:400]
    choice = {"decline": "I do not want to take part"} if decline else {"agree": "I agree and want to take part"}
    return client.post(f"/s/{slug}", data={"csrf_token": csrf_from(html), "nonce": nonce, **choice})


# ---------------------------------------------------------------- accounts from the command line
@pytest.mark.real_password_hashing
def test_create_experimenter_asks_twice_and_stores_an_argon2id_hash(app):
    from webapp.accounts import find_experimenter
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-experimenter", "Ada@Lab.example"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") >= 1 and "Repeat the password" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    with app.app_context():
        experimenter = find_experimenter("ada@lab.example")
        assert experimenter is not None and experimenter.email == "ada@lab.example"
        assert experimenter.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(experimenter.password_hash, PASSWORD)

    mismatch = runner.invoke(args=["create-experimenter", "bob@lab.example"], input=f"{PASSWORD}\nsomething else!\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    duplicate = runner.invoke(args=["create-experimenter", "ada@lab.example", "--password-stdin"],
                              input=f"{PASSWORD}\n")
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    with app.app_context():
        assert find_experimenter("bob@lab.example") is None


@pytest.mark.real_password_hashing
def test_create_experimenter_reads_the_password_from_stdin_for_scripts(app):
    from webapp.accounts import find_experimenter
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-experimenter", "script@lab.example", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    with app.app_context():
        stored = find_experimenter("script@lab.example").password_hash
        assert stored.startswith("$argon2id$") and PasswordHasher().verify(stored, PASSWORD)
    short = runner.invoke(args=["create-experimenter", "short@lab.example", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least" in short.output
    bad = runner.invoke(args=["create-experimenter", "not-an-email", "--password-stdin"], input=f"{PASSWORD}\n")
    assert bad.exit_code == 1 and "not an e-mail" in bad.output
    client = app.test_client()
    assert login(client, "script@lab.example").status_code == 303


# ---------------------------------------------------------------- logging in and out
def test_login_succeeds_with_the_right_password_only(app, fast_hashes):
    add_experimenter(app, "owner@lab.example")
    client = app.test_client()
    assert client.get("/studio/").status_code == 302
    wrong = login(client, "owner@lab.example", "wrong password!")
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    unknown = login(client, "nobody@lab.example")
    assert unknown.status_code == 401
    assert client.get("/studio/").status_code == 302
    right = login(client, "OWNER@lab.example ")
    assert right.status_code == 303 and right.headers["Location"].endswith("/studio/")
    assert client.get("/studio/").status_code == 200
    # Only a path inside the studio is followed after logging in.
    other = app.test_client()
    html = other.get("/studio/login").get_data(as_text=True)
    response = other.post("/studio/login?next=https://evil.example/x",
                          data={"csrf_token": csrf_from(html), "email": "owner@lab.example", "password": PASSWORD})
    assert response.headers["Location"].endswith("/studio/")
    third = app.test_client()
    assert third.get("/studio/studies/demo/monitor").headers["Location"].startswith("/studio/login?next=")
    html = third.get("/studio/login?next=/studio/studies/demo/monitor").get_data(as_text=True)
    response = third.post("/studio/login?next=/studio/studies/demo/monitor",
                          data={"csrf_token": csrf_from(html), "email": "owner@lab.example", "password": PASSWORD})
    assert response.headers["Location"].endswith("/studio/studies/demo/monitor")


def test_login_rehashes_a_password_hashed_with_old_parameters(app, monkeypatch):
    import webapp.accounts as accounts
    from webapp.accounts import find_experimenter
    monkeypatch.setattr(accounts, "hasher", cheap_hasher())
    add_experimenter(app, "old@lab.example")
    with app.app_context():
        old = find_experimenter("old@lab.example").password_hash
    monkeypatch.setattr(accounts, "hasher", PasswordHasher())
    assert login(app.test_client(), "old@lab.example").status_code == 303
    with app.app_context():
        new = find_experimenter("old@lab.example").password_hash
    assert new != old and new.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(new)
    assert PasswordHasher().verify(new, PASSWORD)


def test_login_is_rate_limited_per_address_and_email(app, fast_hashes):
    add_experimenter(app, "owner@lab.example")
    client = app.test_client()
    for _ in range(5):
        assert login(client, "owner@lab.example", "guessing wrong").status_code == 401
    blocked = login(client, "owner@lab.example")  # even the right password waits
    assert blocked.status_code == 429
    body = blocked.get_data(as_text=True)
    assert "Too many" in body and "try again at" in body and "seconds" in body
    assert int(blocked.headers["Retry-After"]) > 0
    assert client.get("/studio/login").status_code == 200  # the form itself is not limited
    # Another account from the same address is not locked out by these attempts.
    add_experimenter(app, "member@lab.example")
    assert login(client, "member@lab.example").status_code == 303


def test_logout_is_a_post_with_a_csrf_token(app, fast_hashes):
    client = logged_in(app)
    assert client.get("/studio/logout").status_code == 405
    assert client.post("/studio/logout").status_code == 400
    assert client.get("/studio/").status_code == 200
    response = client.post("/studio/logout", data={"csrf_token": token(client, "/studio/")})
    assert response.status_code == 303
    assert client.get("/studio/").status_code == 302


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


# ---------------------------------------------------------------- monitoring
def test_the_monitor_counts_match_the_participants(app, fast_hashes):
    from webapp import journey, monitor
    from webapp.extensions import db
    from webapp.models import Participant, utcnow
    from webapp.studies import study_by_slug

    client = logged_in(app)
    # Two who finished, with known durations and conformity; one under way; one timed out.
    done = [new_participant(app, step="done") for _ in range(2)]
    active = new_participant(app, step="design")
    timed = new_participant(app, step="suggestions")
    simulated = new_participant(app, step="revise", simulated=True)
    pilot = new_participant(app, step="done", pilot_cell="public/friend")
    visitor = app.test_client()  # a real decline through the consent page
    assert consent(visitor, decline=True).status_code == 303
    now = utcnow()
    with app.app_context():
        for participant_id, minutes, share in zip(done + [pilot], (10, 20, 99), (0.0, 2 / 3, 1.0)):
            participant = db.session.get(Participant, participant_id)
            participant.entered_at = now - timedelta(minutes=minutes)
            participant.completed_at = now
            participant.conformity = share
        journey.time_out(db.session.get(Participant, timed))
        db.session.get(Participant, active).deadline_at = now - timedelta(minutes=1)  # overdue, not yet timed out
        db.session.commit()
        cells = {pid: db.session.get(Participant, pid).cell for pid in done + [active, timed, simulated, pilot]}

        study = study_by_slug("demo")
        summary = monitor.study_summary(study)
        totals = summary["totals"]
        # test data (the simulated and the pilot participant) are left out, and counted apart
        assert (totals["active"], totals["completed"], totals["timed_out"]) == (1, 2, 1)
        assert (totals["declines"], totals["withdrawals"], totals["simulated"], totals["pilot"]) == (1, 0, 0, 0)
        assert (totals["simulated_all"], totals["pilot_all"]) == (1, 1)
        assert totals["overdue"] == 1
        for key, cell in summary["cells"].items():
            assert cell["target_n"] == 100
            assert cell["completed"] == sum(1 for pid in done if cells[pid] == key)
            assert cell["active"] == sum(1 for pid in (active,) if cells[pid] == key)
            assert cell["timed_out"] == (1 if cells[timed] == key else 0)
            assert cell["occupied"] == cell["active"] + cell["completed"]
        assert summary["median_duration_seconds"] == pytest.approx(15 * 60, abs=1)
        assert summary["dropout_by_step"] == {"design": {"timed_out": 0, "active": 1},
                                              "suggestions": {"timed_out": 1, "active": 0}}
        expected = {}
        for pid, share in zip(done, (0.0, 2 / 3)):
            expected.setdefault(cells[pid], []).append(share)
        assert summary["conformity_by_cell"] == {}  # the demo does not turn the outcome by cell on
        for key, value in monitor.conformity_by_cell(study).items():
            shares = expected.get(key, [])
            assert value["n"] == len(shares)
            assert value["mean"] == (pytest.approx(sum(shares) / len(shares), abs=1e-3) if shares else None)

        with_pilot = monitor.study_summary(study, include_pilot=True)
        assert with_pilot["totals"]["completed"] == 3 and with_pilot["totals"]["pilot"] == 1
        assert with_pilot["totals"]["simulated"] == 1 and with_pilot["totals"]["active"] == 2
        assert with_pilot["median_duration_seconds"] == pytest.approx(20 * 60, abs=1)
        assert (monitor.conformity_by_cell(study, include_pilot=True)["public/friend"]["n"]
                == expected.get("public/friend", []).__len__() + 1)

    data = client.get("/studio/studies/demo/monitor.json").get_json()
    assert data["totals"]["completed"] == 2 and data["totals"]["declines"] == 1 and data["include_pilot"] is False
    assert client.get("/studio/studies/demo/monitor.json?include_pilot=1").get_json()["totals"]["completed"] == 3
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    assert 'data-key="totals.completed">2<' in html and 'data-key="totals.declines">1<' in html
    assert "15 min 00 s" in html and "<svg" in html and 'class="chart-bar"' in html
    assert 'style="' not in html and "<script>" not in html
    assert "studio.js" in html and 'http-equiv="refresh"' not in html and ">reload</a>" in html
    assert 'data-key="totals.completed">3<' in client.get("/studio/studies/demo/monitor?include_pilot=1").get_data(as_text=True)


def test_monitor_queries_are_few(app, fast_hashes):
    """A fixed number of statements whatever the number of participants (no N+1)."""
    from sqlalchemy import event

    from webapp import monitor
    from webapp.extensions import db
    from webapp.studies import study_by_slug

    def statements(n_extra):
        for _ in range(n_extra):
            new_participant(app, step="design")
        with app.app_context():
            study = study_by_slug("demo")
            _ = study.current_version.definition
            seen = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                monitor.study_summary(study, include_pilot=True)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

    assert statements(1) == statements(5) <= 5


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


# ---------------------------------------------------------------- CSRF and login on every page
def test_studio_forms_without_a_csrf_token_are_rejected(app, fast_hashes):
    client = logged_in(app)
    victim = new_participant(app, step="design")
    from webapp import journey
    with app.app_context():
        reference = journey.pseudonym("demo", "participant", str(victim))[:16]
    posts = {
        "/studio/logout": {},
        "/studio/studies/demo/status/close": {},
        "/studio/studies/demo/pilot/public/friend": {},
        "/studio/studies/demo/pilot/stop": {},
        "/studio/studies/demo/members": {"email": "x@lab.example"},
        "/studio/studies/demo/delete": {"identifier": reference},
        "/studio/studies/demo/delete/confirm": {"reference": reference},
        "/studio/upload": {},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "expired" in response.get_data(as_text=True)
    assert study_row(app).status == "open" and get_participant(app, victim) is not None
    assert client.get("/studio/").status_code == 200  # still logged in
    anonymous = app.test_client()
    response = anonymous.post("/studio/login", data={"email": "owner@lab.example", "password": PASSWORD})
    assert response.status_code == 400
    assert anonymous.get("/studio/").status_code == 302


def test_every_studio_page_needs_a_login(app):
    client = app.test_client()
    values = {"slug": "demo", "action": "close", "visibility": "public", "relation": "friend"}
    csrf = token(client)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("studio.") or rule.endpoint == "studio.login":
            continue
        url = rule.build({key: value for key, value in values.items() if key in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": csrf} if method == "POST" else None)
            expected = 401 if url.endswith(".json") else 302
            assert response.status_code == expected, (method, url, response.status_code)
            if expected == 302:
                assert response.headers["Location"].startswith("/studio/login")
            checked += 1
    assert checked >= 14
    assert study_row(app).status == "open"


# ---------------------------------------------------------------- uploading a study file
def test_an_uploaded_study_file_is_validated_and_loaded(app, fast_hashes):
    from experiments.definition import EXPERIMENTS_DIR
    from webapp.extensions import db
    from webapp.models import StudyMember
    client = logged_in(app)
    source = (EXPERIMENTS_DIR / "visibility.toml").read_text("utf-8").replace('slug = "visibility"', 'slug = "uploaded"')
    csrf = token(client, "/studio/upload")

    def upload(text, name="study.toml"):
        return client.post("/studio/upload", data={"csrf_token": csrf, "file": (io.BytesIO(text.encode()), name)},
                           content_type="multipart/form-data")

    broken = upload(source.replace("target_n_per_cell = 150", "target_n_per_cell = -3")
                    .replace('rule = "random"', 'rule = "whatever"'))
    assert broken.status_code == 400
    text = broken.get_data(as_text=True)
    assert "target_n_per_cell" in text and "suggestions.rule" in text  # every problem, not the first only
    assert upload("this is = = not toml").status_code == 400
    sneaky = upload(source + '\n[thinking_style]\ninstrument = "/etc/passwd"\n')
    assert sneaky.status_code == 400 and "instruments shipped" in sneaky.get_data(as_text=True)

    response = upload(source, "uploaded.toml")
    assert response.status_code == 303 and response.headers["Location"].endswith("/studio/studies/uploaded")
    with app.app_context():
        study = study_row(app, "uploaded")
        assert db.session.get(StudyMember, (study.id, 1)).role == "owner"
    page = client.get("/studio/studies/uploaded").get_data(as_text=True)
    assert "uploaded.toml" in page and "version <strong>1</strong>" in page
    assert "Unchanged" in client.get(upload(source, "uploaded.toml").headers["Location"]).get_data(as_text=True)

    # A slug of someone else's study cannot be taken over.
    add_experimenter(app, "intruder@lab.example")
    intruder = app.test_client()
    login(intruder, "intruder@lab.example")
    html = intruder.get("/studio/upload").get_data(as_text=True)
    taken = intruder.post("/studio/upload", data={"csrf_token": csrf_from(html), "file": (io.BytesIO(
        source.replace("Design your own", "Hijacked").encode()), "x.toml")}, content_type="multipart/form-data")
    assert taken.status_code == 400 and "not a member" in taken.get_data(as_text=True)
    assert study_row(app, "uploaded").title == "Design your own dress shirt"
