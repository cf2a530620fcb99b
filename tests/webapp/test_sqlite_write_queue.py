"""On SQLite, writers of one process queue for the write lock; one that waits too long gets a 503.

A 503 with Retry-After (not a 500) and nothing written: the participant can simply retry.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

import webapp.database as database
from scl_testing import Journey


@pytest.fixture
def database_url(tmp_path):  # SQLite only: the write queue is SQLite's
    return f"sqlite:///{tmp_path / 'queue.sqlite3'}"


@pytest.fixture
def sqlite_app(make_app):
    return make_app()


def test_a_writer_that_cannot_get_the_write_lock_in_time_gets_a_503_and_writes_nothing(sqlite_app, monkeypatch):
    from webapp.extensions import db
    from webapp.models import Event
    walker = Journey(sqlite_app)
    walker.consent()
    with sqlite_app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(Event))
    monkeypatch.setattr(database, "SQLITE_BUSY_SECONDS", 0.3)
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        with sqlite_app.app_context():
            with db.engine.begin() as connection:  # outside a request: a writing transaction
                connection.execute(text("SELECT 1"))
                holding.set()
                release.wait(10)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert holding.wait(10)
        response = walker.post("/thinking-style", {})
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert b"try again" in response.data
    finally:
        release.set()
        holder.join()
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == events_before
    assert walker.get("/thinking-style").status_code == 200  # and the next request is served as usual
