"""Experimenter accounts from the command line, logging in and out, and the login and CSRF token every studio page needs."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from builders import (
    PASSWORD,
    add_experimenter,
    cheap_hasher,
    get_participant,
    logged_in,
    login,
    new_participant,
    study_row,
    token,
)
from scl_testing import csrf_from


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
