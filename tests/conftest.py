"""Shared fixtures: an app per test on SQLite and, where reachable, on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest

from scl_testing import Journey, LiveServer, missing, reset_postgres

POSTGRES_ADMIN_URL = os.environ.get("SCL_TEST_POSTGRES_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away database on the local PostgreSQL, dropped at the end of the session."""
    try:
        import sqlalchemy as sa
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"scl_test_{uuid.uuid4().hex[:10]}"
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        missing(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({type(error).__name__}: {error})"[:300])
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_server")
    reset_postgres(url)
    return url


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build apps on this test's database; extra config overrides the test defaults."""
    from webapp import create_app
    from webapp.extensions import db

    apps = []

    def build(**config):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PSEUDONYM_KEY": "test-pseudonym-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "RATELIMIT_ENABLED": True,
            # Most tests enter many participants from one address; test_guard_entry tests the real limits.
            "ENTRY_RATE_LIMIT": "100000 per minute", "CONSENT_RATE_LIMIT": "100000 per minute",
            "DESIGN_CHANGE_RATE_LIMIT": "100000 per minute",
            "DATABASE_SETUP": "create_all",  # fast; test_migrations proves the migrations give the same schema
        }
        settings.update(config)
        app = create_app(settings)
        apps.append(app)
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
    """Cheap argon2id parameters for tests that are not about hashing."""
    from builders import use_cheap_hasher
    use_cheap_hasher(monkeypatch)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()
