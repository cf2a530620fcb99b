"""An app on a database of a module's own, for worlds its read-only tests share, and the check that they did.

Building a world (accounts logged in, participants placed) costs far more than the requests a
read-only test sends. A module builds it once per database in a module-scoped fixture and hands
it out through `unchanged`, which fails the test that changed any row. The database is the
module's own: the other tests of a worker empty the worker's PostgreSQL database before each test.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import contextmanager

import pytest

from builders import use_cheap_hasher
from scl_testing import POSTGRES_ADMIN_URL, app_test_settings, dispose_postgres_engine


def rows_digest(app) -> str:
    """Every row of every table, whatever its order: what a read-only test must leave as it found it."""
    from sqlalchemy import select

    from webapp.extensions import db
    with app.app_context():
        tables = [(table.name, sorted(repr(tuple(row)) for row in db.session.execute(select(table))))
                  for table in db.metadata.sorted_tables]
        db.session.rollback()
    return hashlib.sha256(repr(tables).encode()).hexdigest()


@contextmanager
def unchanged(app):
    """Fail when the rows are not the same after the block as before it."""
    before = rows_digest(app)
    yield
    assert rows_digest(app) == before, "a read-only test changed the shared world"


@contextmanager
def own_database(request, folder, label: str):
    """An empty database for the module fixture's parameter: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / f'{label}.sqlite3'}"
        return
    import sqlalchemy as sa
    request.getfixturevalue("postgres_server")  # skips (or fails in CI) when PostgreSQL is not reachable
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"scl_{label.replace('-', '_')}_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        dispose_postgres_engine(url)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def shared_app(request, tmp_path_factory, label: str):
    """The test app (demo study seeded) on a database of its own, with cheap password hashing while it lives."""
    from webapp import create_app
    from webapp.extensions import db
    folder = tmp_path_factory.mktemp(label)
    with own_database(request, folder, label) as url, pytest.MonkeyPatch.context() as patch:
        use_cheap_hasher(patch)
        app = create_app(app_test_settings(url, folder / "instance"))
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def world_fixtures(label: str, build):
    """The fixture pair a module's read-only tests use: `shared_world` (built by `build(app)` once per
    database, on a database of the module's own) and `world` (it, checked unchanged after each test).

    Assign both at module level: ``shared_world, world = world_fixtures("label", _build_world)``."""

    @pytest.fixture(scope="module", params=["sqlite", "postgresql"])
    def shared_world(request, tmp_path_factory):
        with shared_app(request, tmp_path_factory, label) as app:
            yield build(app)

    @pytest.fixture
    def world(shared_world):
        """The shared world, for a test that must change nothing in it (checked after the test)."""
        with unchanged(shared_world.app):
            yield shared_world

    return shared_world, world
