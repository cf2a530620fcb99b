"""Helpers shared by the tests (importable as `scl_testing`; conftest.py holds the fixtures)."""

from __future__ import annotations

import os
import re

import pytest

from experiments import steps

REQUIRE_ALL = os.environ.get("SCL_REQUIRE_ALL") == "1"  # set by .ci/run: a missing component fails, never skips

POSTGRES_ADMIN_URL = os.environ.get("SCL_TEST_POSTGRES_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


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


def empty_postgres_tables(url: str) -> None:
    """Delete every row and restart every sequence, keeping the tables.

    DELETE with foreign-key triggers off (replication role) rather than TRUNCATE: on tables of a
    few rows it takes about 5 ms against TRUNCATE's 70 ms, which rewrites every table's files.
    """
    with postgres_engine(url).begin() as connection:
        _delete_every_row(connection)


def _delete_every_row(connection) -> None:
    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    tables = [row[0] for row in connection.exec_driver_sql(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")]
    if tables:
        connection.exec_driver_sql("; ".join(f"DELETE FROM {table}" for table in tables))
    connection.exec_driver_sql(
        "SELECT setval(c.oid, 1, false) FROM pg_class c "
        "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")


_ENGINES: dict[str, object] = {}


def postgres_engine(url: str):
    """One engine per test database for the fixtures' own statements (a connection costs ~5 ms)."""
    import sqlalchemy as sa
    if url not in _ENGINES:
        _ENGINES[url] = sa.create_engine(url, pool_size=1, max_overflow=0)
    return _ENGINES[url]


def dispose_postgres_engine(url: str) -> None:
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


# What defines the public schema (columns and defaults, indexes, constraints, types), read straight from
# the catalogues and folded into one digest: about 2 ms against 40 ms through information_schema.
CATALOG_DIGEST_SQL = (
    "SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM ("
    " SELECT c.relkind::text || ' ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
    "  || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped"
    " UNION ALL SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
    "  WHERE c.relnamespace = 'public'::regnamespace"
    " UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
    "  FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    " UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace"
    "  AND typtype IN ('e', 'd')"
    " UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
    ") AS parts"
)


def postgres_catalog_digest(url: str) -> str:
    """A digest of the public schema's definition (columns, defaults, indexes, constraints, types)."""
    with postgres_engine(url).connect() as connection:
        return connection.exec_driver_sql(CATALOG_DIGEST_SQL).scalar_one()


class PostgresRows:
    """Every row and sequence position of a database, to put a seeded state back without seeding again.

    Seeding the demo parses and installs a study file (about 100 ms); inserting its dozen rows back
    takes a few milliseconds. The tables are the models' tables (the schema digest says so).
    """

    def __init__(self, rows: dict[str, list[dict]], sequences: list[tuple[str, int | None]]):
        self.rows = rows
        self.sequences = sequences

    @classmethod
    def capture(cls, url: str, metadata) -> PostgresRows:
        import sqlalchemy as sa
        with postgres_engine(url).connect() as connection:
            rows = {table.name: [dict(row) for row in connection.execute(sa.select(table)).mappings()]
                    for table in metadata.sorted_tables}
            sequences = [(name, last) for name, last in connection.exec_driver_sql(
                "SELECT quote_ident(sequencename), last_value FROM pg_sequences WHERE schemaname = 'public'")]
        return cls(rows, sequences)

    def restore(self, url: str, metadata) -> None:
        """Replace whatever the database holds by the captured rows (one transaction)."""
        with postgres_engine(url).begin() as connection:
            _delete_every_row(connection)
            for table in metadata.sorted_tables:
                if self.rows.get(table.name):
                    connection.execute(table.insert(), self.rows[table.name])
            for name, last in self.sequences:
                if last is not None:
                    connection.exec_driver_sql(f"SELECT setval('{name}', {int(last)}, true)")


def app_test_settings(database_url: str, instance_path) -> dict:
    """The configuration every test app starts from (a test adds or overrides keys)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PSEUDONYM_KEY": "test-pseudonym-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "RATELIMIT_ENABLED": True,
        # Most tests enter many participants from one address; test_guard_entry tests the real limits.
        "ENTRY_RATE_LIMIT": "100000 per minute", "CONSENT_RATE_LIMIT": "100000 per minute",
        "DESIGN_CHANGE_RATE_LIMIT": "100000 per minute",
        "DATABASE_SETUP": "create_all",  # fast; test_migrations proves the migrations give the same schema
    }
