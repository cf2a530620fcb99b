"""The experimenters' studio (accounts, studies, pilot, monitor, export)."""

from __future__ import annotations

from flask import Blueprint

from .extensions import db, login_manager
from .models import Experimenter

bp = Blueprint("studio", __name__, url_prefix="/studio")


@login_manager.user_loader
def load_experimenter(user_id: str):
    return db.session.get(Experimenter, int(user_id)) if user_id.isdigit() else None


@bp.get("/login")
def login():
    return "The studio is not built yet.", 501
