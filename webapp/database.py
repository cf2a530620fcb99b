"""Engine settings that make concurrent participants safe on SQLite and PostgreSQL.

On SQLite one connection at a time may write. A transaction that only reads starts with
a deferred ``BEGIN`` and never takes the write lock; a transaction that writes starts
with ``BEGIN IMMEDIATE`` so "read, then decide, then write" is atomic (a deferred
transaction that later writes can fail at once with "database is locked" when another
writer committed in between). Whether a request writes is known from its route: POST
and friends write, and a GET view that writes says so with :func:`writes`. Views commit
before they render (:func:`commit_before_render`), so no template or image is rendered
while the write lock is held.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from .extensions import db

log = logging.getLogger(__name__)

SQLITE_BUSY_SECONDS = 30  # how long a writer waits for the write lock before the request gets a 503


class SiteBusy(RuntimeError):
    """The database stayed locked for SQLITE_BUSY_SECONDS: answered with 503 and Retry-After."""


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def writes(view):
    """Mark a GET view that changes state (a page view event, a first-view draw)."""
    view.writes_on_get = True
    return view


def wants_write_lock() -> bool:
    """Whether the transaction about to begin may write (outside requests: always)."""
    if not has_request_context():
        return True
    if g.get("reads_only"):
        return False
    if request.method in WRITE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))


def commit_keeping_loaded() -> None:
    """Commit and keep the loaded rows as they are: the answer built next reads them without a query."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def commit_before_render() -> None:
    """Commit now and keep the loaded rows, so rendering needs no lock and few queries.

    Anything loaded lazily while rendering runs in a read-only (deferred) transaction.
    """
    commit_keeping_loaded()
    if has_request_context():
        g.reads_only = True


def configure_engine(engine: Engine) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, full sync, secure delete, and the BEGIN mode.

    The sqlite3 driver's legacy transaction handling loses updates when two processes
    read-then-write (measured: ~1,400 lost of 6,000), so we emit BEGIN ourselves.
    """
    if engine.dialect.name != "sqlite":
        return
    _set_pragmas_on_connect(engine)
    _queue_writers(engine)
    _warn_on_writes_in_reads(engine)


def _set_pragmas_on_connect(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", f"busy_timeout={SQLITE_BUSY_SECONDS * 1000}", "foreign_keys=ON",
                       "synchronous=FULL", "secure_delete=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def _queue_writers(engine: Engine) -> None:
    """BEGIN IMMEDIATE for writing transactions, after a place in this process's write queue."""
    # Writers of this process queue on a lock of their own before BEGIN IMMEDIATE: waiting there
    # costs no CPU, while a hundred threads polling SQLite's busy handler starve the one thread
    # that holds the write lock of the GIL (measured: "database is locked" after 10 s at 100
    # concurrent participants on `flask run`). Other processes still meet SQLite's busy timeout.
    write_queue = threading.Lock()

    def leave_write_queue(info) -> None:
        if info.pop("sqlite_write_queue", False):
            write_queue.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = wants_write_lock()
        connection.info["sqlite_read_only"] = not immediate
        if immediate:
            if not write_queue.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise SiteBusy()
            connection.info["sqlite_write_queue"] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except Exception:
            leave_write_queue(connection.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        leave_write_queue(connection.info)  # the COMMIT follows at once; a next writer's BEGIN waits for it

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        leave_write_queue(connection.info)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection, record, _state=None):
        leave_write_queue(record.info)  # returned to the pool without commit or rollback

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection, record, _exception):
        leave_write_queue(record.info)


def _warn_on_writes_in_reads(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _warn_on_write_in_read(connection, _cursor, statement, _parameters, _context, _executemany):
        if connection.info.get("sqlite_read_only") and statement.lstrip().upper().startswith(WRITE_VERBS):
            log.warning("write inside a read-only SQLite transaction (mark the view with @writes): %s %s",
                        request.method if has_request_context() else "-",
                        request.endpoint if has_request_context() else "-")


def lock(model, ident):
    """Load one row for update: serialises concurrent writes to the same participant or study.

    PostgreSQL takes a row lock (SELECT … FOR UPDATE); on SQLite a writing transaction
    already holds the write lock (BEGIN IMMEDIATE), so the plain select is enough.
    """
    return db.session.execute(
        select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def insert_ignoring_duplicates(model, **values) -> None:
    """INSERT … ON CONFLICT DO NOTHING: the first of concurrent identical inserts wins, none fails."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def insert_many_ignoring_duplicates(model, rows: list[dict]) -> None:
    """One multi-row INSERT … ON CONFLICT DO NOTHING: rows already there are kept as they were."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(rows).on_conflict_do_nothing())
