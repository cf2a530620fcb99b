"""Helpers shared by the tests (importable as `scl_testing`; conftest.py holds the fixtures)."""

from __future__ import annotations

import os
import re

import pytest

from experiments import steps

REQUIRE_ALL = os.environ.get("SCL_REQUIRE_ALL") == "1"  # set by .ci/run: a missing component fails, never skips


def missing(reason: str):
    """Skip with a clear reason, or fail in CI where every component must be present."""
    if REQUIRE_ALL:
        pytest.fail(f"required component missing in CI: {reason}")
    pytest.skip(reason)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


HIDDEN_RE = re.compile(r'name="(\w+)" type="hidden" value="([^"]*)"')
CHECKED_RE = re.compile(r'<input type="radio" name="(\w+)" value="([^"]+)" checked>')
SUGGESTION_RE = re.compile(r'/revise/suggestions/(\d+)"')
ITEM_RE = re.compile(r'<input[^>]*name="((?:ts|eval|ios)_\w+)"')
RADIO_RE = re.compile(r'<input(?=[^>]*type="radio")[^>]*name="(\w+)"')


def nonce_from(html: str) -> str:
    """The one-time consent nonce on an entry page."""
    nonce = dict(HIDDEN_RE.findall(html)).get("nonce")
    assert nonce, "no consent nonce on the page"
    return nonce


class Journey:
    """Walks one participant through a study with Flask's test client, as a browser would.

    Every request goes through the real routes, forms and CSRF checks; tests use the
    step methods to reach the state they need and then assert on what was recorded.
    """

    def __init__(self, app, slug="demo", query=""):
        self.app, self.slug = app, slug
        self.client = app.test_client()
        self.query = query
        self.page = ""
        self.last = None

    def get(self, path="", **kwargs):
        response = self.client.get(f"/s/{self.slug}{path}", follow_redirects=True, **kwargs)
        self.page, self.last = response.get_data(as_text=True), response
        return response

    def post(self, path, data, **kwargs):
        data = {"csrf_token": csrf_from(self.page), **data}
        response = self.client.post(f"/s/{self.slug}{path}", data=data, **kwargs)
        self.last = response
        return response

    def follow(self, response):
        assert response.status_code in (302, 303), (response.status_code, response.get_data(as_text=True)[:500])
        page = self.client.get(response.location)
        self.page, self.last = page.get_data(as_text=True), page
        return page

    @property
    def path(self) -> str:
        return self.last.request.path

    def consent(self):
        self.get(self.query)
        return self.follow(self.post("", {"nonce": nonce_from(self.page), "agree": "yes"}))

    def items(self) -> list[str]:
        return sorted(set(ITEM_RE.findall(self.page)))

    def thinking_style(self, answer=4, attention=2):
        data = {k: (attention if k == "ts_attention" else answer) for k in self.items()}
        return self.follow(self.post(steps.get("thinking_style").path, data))

    def likert(self, step_name, answer=4):
        """Any declared Likert step: every item of the page gets the same answer."""
        data = {k: answer for k in sorted(set(RADIO_RE.findall(self.page)))}
        return self.follow(self.post(steps.get(step_name).path, data))

    def current_step(self) -> str | None:
        """The declared step whose page the walk is on (None at the end page)."""
        rest = self.path[len(f"/s/{self.slug}"):].rstrip("/")
        found = steps.by_path(rest)
        return None if found is None else found.name

    def design_choices(self) -> dict:
        return dict(CHECKED_RE.findall(self.page))

    def change(self, attribute, level):
        return self.post("/design/change", {"attribute": attribute, "level": level},
                         headers={"Accept": "application/json"})

    def submit_design(self, path="/design", **changes):
        data = {**self.design_choices(), **changes, "submit": "Submit"}
        return self.follow(self.post(path, data))

    def suggestion_ids(self) -> list[int]:
        return [int(i) for i in dict.fromkeys(SUGGESTION_RE.findall(self.page))]

    def see_suggestions(self):
        return self.follow(self.post("/suggestions", {"submit": "Revise my design"}))

    def decide(self, suggestion_id, decision="adopt"):
        return self.post(f"/revise/suggestions/{suggestion_id}", {"decision": decision},
                         headers={"Accept": "application/json"})

    def closeness(self, value=5):
        return self.follow(self.post("/closeness", {k: value for k in self.items()}))

    def evaluation(self, value=6, wtp="40"):
        return self.follow(self.post("/evaluation", {**{k: value for k in self.items()}, "wtp": wtp}))

    def checks(self, manipulation=6, attention="Orange"):
        return self.follow(self.post("/checks", {"mc_visibility": manipulation, "ac_colour": attention}))

    def demographics(self, age="", gender=""):
        return self.follow(self.post("/demographics", {"age": age, "gender": gender}))

    def revise(self, adopt=1):
        for suggestion_id in self.suggestion_ids()[:adopt]:
            assert self.decide(suggestion_id).status_code == 200
        self.get(steps.get("revise").path)
        return self.submit_design(steps.get("revise").path)

    def answer(self, step_name: str, adopt=1, **design_changes):
        """Plain answers to one step, chosen by the page its declaration names."""
        page = steps.get(step_name).page
        if page == "likert" and step_name != "thinking_style":
            return self.likert(step_name)
        actions = {"likert": self.thinking_style, "design": lambda: self.submit_design(**design_changes),
                   "suggestions": self.see_suggestions, "revise": lambda: self.revise(adopt),
                   "closeness": self.closeness, "evaluation": self.evaluation, "checks": self.checks,
                   "demographics": self.demographics}
        return actions[page]()

    def complete(self, adopt=1, **design_changes):
        """The whole journey with plain answers, step by step as the study's flow leads; adopts the first
        `adopt` suggestions."""
        last = self.consent()
        for _ in range(40):
            step_name = self.current_step()
            if step_name is None or step_name == "consent":
                return last
            last = self.answer(step_name, adopt, **design_changes)
        raise AssertionError(f"the journey did not end (last page {self.path})")

    def participant(self):
        from sqlalchemy import select

        from webapp.extensions import db
        from webapp.models import Participant
        with self.client.session_transaction() as session:
            token = session.get("participants", {}).get(self.slug)
        with self.app.app_context():
            found = db.session.execute(select(Participant).where(Participant.token == token)).scalar_one_or_none()
            if found is not None:
                db.session.expunge(found)
            return found


class LiveServer:
    """The app served on 127.0.0.1 by a threaded Werkzeug server, for browsers and races."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


def reset_postgres(url: str) -> None:
    """Empty the throw-away PostgreSQL database: a fresh public schema."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    engine.dispose()


SCHEMA_FINGERPRINT_SQL = (
    "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' "
    "|| coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public' "
    "UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' "
    "UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
    "UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace "
    "AND typtype IN ('e', 'd')"
)


def postgres_schema(url: str) -> frozenset[str]:
    """What defines the public schema: columns, indexes, constraints and types (not the rows)."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = frozenset(row[0] for row in connection.exec_driver_sql(SCHEMA_FINGERPRINT_SQL))
    engine.dispose()
    return found


def empty_postgres_tables(url: str) -> None:
    """Delete every row and restart every sequence, keeping the tables (far cheaper than rebuilding them)."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [row[0] for row in connection.exec_driver_sql(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")]
        if tables:
            connection.exec_driver_sql(f"TRUNCATE TABLE {', '.join(tables)} RESTART IDENTITY CASCADE")
    engine.dispose()

