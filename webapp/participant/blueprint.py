"""The participant blueprint, its rate-limit keys and its caching rule (views register on it)."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, request

from .. import visitor

bp = Blueprint("participant", __name__, url_prefix="/s/<slug>")


def limit(setting: str):
    """A rate limit read from the settings when the request comes, so tests and deployments tune it."""
    return lambda: current_app.config.get(setting) or "1000000 per second"


def address_key() -> str:
    return request.remote_addr or ""


def participant_key() -> str:
    """Live changes are counted per participant (their session token), not per shared address."""
    slug = (request.view_args or {}).get("slug", "")
    return "participant:" + str(visitor.participant_token(slug) or request.remote_addr)


def is_simulation() -> bool:
    """Simulated participants identify themselves with the instance's simulation key."""
    key = current_app.config.get("SIMULATION_KEY")
    if not key:
        return False
    return secrets.compare_digest(request.headers.get("X-Simulation-Key", ""), key)


@bp.after_request
def no_store(response):
    """Participant pages are never cached, so the back button asks the server again."""
    response.headers["Cache-Control"] = "no-store"
    return response
