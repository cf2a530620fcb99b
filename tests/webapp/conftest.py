"""Fixtures shared by the web-app tests."""

import tomllib

import pytest

from experiments.definition import EXPERIMENTS_DIR, parse_study
from webapp.extensions import db
from webapp.studies import install_definition


@pytest.fixture
def peer_study(app):
    """The visibility × relation study reduced to one cell, so every entrant can review the last."""
    data = tomllib.loads((EXPERIMENTS_DIR / "visibility_relation.toml").read_text())
    data["study"]["slug"] = "peers"
    data["factors"].update(visibility=["public"], relation=["friend"])
    data["suggestions"].update(peer_wait_seconds=120, peer_share=0.5, count=2, comment_max_length=80)
    with app.app_context():
        install_definition(parse_study(data, source="peers"))
        db.session.commit()
    return "peers"


class Clock:
    """The journey's and the participant views' clock, moved on by hand (the database defaults keep real time)."""

    def __init__(self, monkeypatch):
        import sys
        from datetime import timedelta

        import webapp.journey
        import webapp.participant  # noqa: F401  (every module that reads the clock is loaded)
        from webapp.models import utcnow
        self.offset = timedelta(0)
        readers = [module for name, module in list(sys.modules.items())
                   if name.split(".")[:2] in (["webapp", "journey"], ["webapp", "participant"])
                   and getattr(module, "utcnow", None) is utcnow]
        assert any(m.__name__.startswith("webapp.journey") for m in readers), "the journey reads the clock"
        for module in readers:
            monkeypatch.setattr(module, "utcnow", lambda: utcnow() + self.offset)

    def advance(self, seconds: float) -> None:
        from datetime import timedelta
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
