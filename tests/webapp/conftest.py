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
