"""Shared fixtures: an app per test on SQLite and, where reachable, on a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from scl_testing import (
    POSTGRES_ADMIN_URL,
    Journey,
    LiveServer,
    PostgresRows,
    app_test_settings,
    dispose_postgres_engine,
    empty_postgres_tables,
    missing,
    postgres_catalog_digest,
    reset_postgres,
)


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once():
    """Werkzeug compiles two URL builder functions per route for every app (two thirds of create_app's
    time, and the suite builds over a thousand apps). The code depends only on the rule's parsed parts
    and defaults, so the suite compiles each once and binds it to every app's rule, as Werkzeug does."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def compile_once(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (append_unknown, tuple(
            (dynamic, self._converters[data].to_url(defaults[data]) if dynamic and data in defaults else data,
             dynamic and data in defaults)
            for dynamic, data in self._trace))
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_once
    yield
    Rule._compile_builder = compile_builder


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away database on the local PostgreSQL, dropped at the end of the session."""
    try:
        import sqlalchemy as sa
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"scl_test_{uuid.uuid4().hex[:10]}"
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            # A throw-away database need not wait for its WAL to reach the disk at each commit.
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        missing(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({type(error).__name__}: {error})"[:300])
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    dispose_postgres_engine(url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_models_schema(postgres_server):
    """The digest of the schema the models create (create_all) on an empty database, to recognise it later."""
    import sqlalchemy as sa

    import webapp.models  # noqa: F401 - the tables are declared on import
    from webapp.extensions import db
    reset_postgres(postgres_server)
    engine = sa.create_engine(postgres_server)
    db.metadata.create_all(engine)
    engine.dispose()
    schema = postgres_catalog_digest(postgres_server)
    reset_postgres(postgres_server)
    return schema


class _PostgresState:
    """Whether this test's PostgreSQL database still holds the models' (emptied) tables, and the rows
    create_all and the demo seed leave there (captured once per session, put back per test)."""

    tables_kept = False
    seeded_rows: PostgresRows | None = None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """This test's database: a new SQLite file, or the session's PostgreSQL database emptied.

    PostgreSQL: when the schema is exactly the one create_all builds, only the rows go (TRUNCATE);
    anything else (migrations, a changed table) gets a fresh public schema. A test whose first app
    does not use create_all still starts from an empty schema (see make_app).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_server")
    if postgres_catalog_digest(url) == request.getfixturevalue("postgres_models_schema"):
        empty_postgres_tables(url)
        _PostgresState.tables_kept = True
    else:
        reset_postgres(url)
        _PostgresState.tables_kept = False
    return url


_SQLITE_TEMPLATES: dict[bool, Path] = {}


def _sqlite_template(tmp_path_factory, settings: dict) -> Path:
    """A SQLite file as create_all and the demo seed leave it, built once per session and copied per test."""
    from webapp import create_app
    from webapp.extensions import db

    seed = bool(settings.get("SEED_DEMO", True))
    if seed not in _SQLITE_TEMPLATES:
        folder = tmp_path_factory.mktemp("sqlite-template")
        path = folder / "template.sqlite3"
        app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "INSTANCE_PATH": str(folder / "instance")})
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the last connection closes: the WAL is checkpointed into the file
        _SQLITE_TEMPLATES[seed] = path
    return _SQLITE_TEMPLATES[seed]


@pytest.fixture
def make_app(tmp_path, database_url, tmp_path_factory):
    """Build apps on this test's database; extra config overrides the test defaults.

    The schema (and the demo study) come from a per-session template where that gives the same
    database: a fresh SQLite file copied from one built the same way, emptied PostgreSQL tables.
    """
    from webapp import create_app
    from webapp.extensions import db

    apps = []
    capture_seed = False

    def prepare(settings: dict) -> None:
        nonlocal capture_seed
        uri = settings["SQLALCHEMY_DATABASE_URI"]
        create_all = settings.get("DATABASE_SETUP") == "create_all" and not os.environ.get("SCL_DATABASE_SETUP")
        if uri.startswith("sqlite:///") and uri == database_url:
            file = Path(uri.removeprefix("sqlite:///"))
            if create_all and not file.exists():
                shutil.copyfile(_sqlite_template(tmp_path_factory, settings), file)
        elif uri == database_url and _PostgresState.tables_kept:
            _PostgresState.tables_kept = False  # only the first app of a test may find them
            if not create_all:
                reset_postgres(uri)  # migrations start from an empty schema
            elif settings.get("SEED_DEMO", True):
                if _PostgresState.seeded_rows is None:
                    capture_seed = True  # this app seeds; its rows serve the tests after it
                else:
                    _PostgresState.seeded_rows.restore(uri, db.metadata)  # the seed then finds the demo

    def build(**config):
        settings = app_test_settings(database_url, tmp_path / "instance")
        settings.update(config)
        prepare(settings)
        app = create_app(settings)
        apps.append(app)
        nonlocal capture_seed
        if capture_seed:
            capture_seed = False
            _PostgresState.seeded_rows = PostgresRows.capture(database_url, db.metadata)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def journey(app):
    """Factory: journey() is a fresh browser on the demo study."""
    return lambda slug="demo", query="": Journey(app, slug, query)


@pytest.fixture
def fast_hashes(monkeypatch):
    """Cheap argon2id parameters for tests that are not about hashing (now the default, see below)."""
    from builders import use_cheap_hasher
    use_cheap_hasher(monkeypatch)


@pytest.fixture(autouse=True)
def cheap_password_hashing(request, monkeypatch):
    """Every test with an app hashes passwords with argon2id at its cheapest (half a second of CPU less per
    account and login), except the tests about the stored hash, marked `real_password_hashing`."""
    if "make_app" in request.fixturenames and request.node.get_closest_marker("real_password_hashing") is None:
        from builders import use_cheap_hasher
        use_cheap_hasher(monkeypatch)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()
