"""Settings: defaults for the embedded demo, overridden by the environment or create_app(config)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(instance: Path, name: str) -> str:
    """A random secret kept in the instance folder, created on first start (local use only)."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def default_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'scl.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    production = os.environ.get("SCL_ENV") == "production"
    secret = os.environ.get("SCL_SECRET_KEY")
    pseudonym_key = os.environ.get("SCL_PSEUDONYM_KEY")
    if production and not (secret and pseudonym_key):
        raise RuntimeError("SCL_ENV=production needs SCL_SECRET_KEY and SCL_PSEUDONYM_KEY in the environment")
    return {
        "SECRET_KEY": secret or _instance_secret(instance, "secret_key"),
        # Pseudonyms must survive a rotation of the session secret, so they have their own key.
        "PSEUDONYM_KEY": pseudonym_key or _instance_secret(instance, "pseudonym_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
        # A participant may pause for as long as the study allows; the session carries the token.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 16 * 1024,
        "MAX_FORM_PARTS": 200,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SEED_DEMO": True,
        # Requests carrying this key in X-Simulation-Key create participants marked as simulated.
        "SIMULATION_KEY": os.environ.get("SCL_SIMULATION_KEY") or _instance_secret(instance, "simulation_key"),
        "PREVIEW_CACHE_SIZE": 512,
        # Entry pages (GET) per client address; simulation-key requests are exempt.
        "ENTRY_RATE_LIMIT": os.environ.get("SCL_ENTRY_RATE_LIMIT", "30 per minute; 120 per hour"),
        # Consents (POST) per client address: one address gets a small share of a study, not all of it.
        "CONSENT_RATE_LIMIT": os.environ.get("SCL_CONSENT_RATE_LIMIT", "5 per minute; 15 per hour"),
        # Live design changes per participant (the live editor sends one per click).
        "DESIGN_CHANGE_RATE_LIMIT": os.environ.get("SCL_DESIGN_CHANGE_RATE_LIMIT", "60 per minute; 600 per hour"),
        # A participant still on the first step after consent, idle this long, gives up their slot.
        "SLOT_IDLE_MINUTES": int(os.environ.get("SCL_SLOT_IDLE_MINUTES", "10")),
    }
