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
        # Created readable by its owner only, with no moment when others could read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


MIN_SECRET_LENGTH = 32


def production_problem(secret: str | None, pseudonym_key: str | None, database_url: str | None) -> str | None:
    """Why production cannot start, in one line, or None."""
    for name, value in (("SCL_SECRET_KEY", secret), ("SCL_PSEUDONYM_KEY", pseudonym_key)):
        if not value:
            return f"{name} is not set: generate one with  python3 -c 'import secrets; print(secrets.token_hex(32))'"
        if len(value) < MIN_SECRET_LENGTH or len(set(value)) < 10:
            return f"{name} is too weak: use at least {MIN_SECRET_LENGTH} random characters (secrets.token_hex(32))"
    if secret == pseudonym_key:
        return "SCL_SECRET_KEY and SCL_PSEUDONYM_KEY must differ"
    if not database_url:
        return "DATABASE_URL is not set: production needs a database, e.g. postgresql://user:pass@host/db"
    return None


def default_config(instance_path: str) -> dict:
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'scl.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    production = os.environ.get("SCL_ENV") == "production"
    secret = os.environ.get("SCL_SECRET_KEY")
    pseudonym_key = os.environ.get("SCL_PSEUDONYM_KEY")
    if production:
        problem = production_problem(secret, pseudonym_key, os.environ.get("DATABASE_URL"))
        if problem:
            raise RuntimeError(problem)
    threads = int(os.environ.get("THREADS") or 0)
    return {
        "SECRET_KEY": secret or _instance_secret(instance, "secret_key"),
        # Pseudonyms must survive a rotation of the session secret, so they have their own key.
        "PSEUDONYM_KEY": pseudonym_key or _instance_secret(instance, "pseudonym_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # One connection per server thread, a few spare; the dev server's threads are unbounded.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": threads + 2 if threads else 20,
                                      "max_overflow": 4 if threads else 80},
        "PRODUCTION": production,
        "TRUSTED_PROXIES": int(os.environ.get("SCL_TRUSTED_PROXIES") or 0),
        # Static URLs carry a version (?v=…), so browsers may keep them for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
        # The cookie is signed and sent again only when the session changes, not on every page:
        # a week from the last change outlasts any study's time limit, and each page saves a signing.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # A participant may pause for as long as the study allows; the session carries the token.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 16 * 1024,
        "MAX_FORM_PARTS": 200,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Production seeds no demo study (it would be open and listed) unless asked to.
        "SEED_DEMO": (os.environ.get("SCL_SEED_DEMO") == "1") if production else True,
        # Requests carrying this key in X-Simulation-Key create participants marked as simulated.
        "SIMULATION_KEY": os.environ.get("SCL_SIMULATION_KEY") or _instance_secret(instance, "simulation_key"),
        "PREVIEW_CACHE_SIZE": 512,
        # Memory per process for encoded previews and for the renderer's garment parts (bytes).
        "PREVIEW_CACHE_BYTES": int(os.environ.get("SCL_PREVIEW_CACHE_MB", "32")) * 1024 * 1024,
        # Previews a process renders at once (the rest wait): one per worker keeps the cores busy with
        # one worker per core (bench_load full C=50, 2 workers: peak RSS/worker 284 MB with 1, 318 MB
        # with 2, requests/s 96.7 and 85.2); more only costs memory.
        "PREVIEW_RENDER_CONCURRENCY": int(os.environ.get("SCL_RENDER_CONCURRENCY", "1")),
        "PART_CACHE_BYTES": int(os.environ.get("SCL_PART_CACHE_MB", "80")) * 1024 * 1024,
        # Entry pages (GET) per client address; simulation-key requests are exempt.
        "ENTRY_RATE_LIMIT": os.environ.get("SCL_ENTRY_RATE_LIMIT", "30 per minute; 120 per hour"),
        # Consents (POST) per client address: one address gets a small share of a study, not all of it.
        "CONSENT_RATE_LIMIT": os.environ.get("SCL_CONSENT_RATE_LIMIT", "5 per minute; 15 per hour"),
        # Live design changes per participant (the live editor sends one per click).
        "DESIGN_CHANGE_RATE_LIMIT": os.environ.get("SCL_DESIGN_CHANGE_RATE_LIMIT", "60 per minute; 600 per hour"),
        # An arrow-key choice in the design editor is saved this long after the last arrow key (app.js).
        "KEYBOARD_SETTLE_MS": int(os.environ.get("SCL_KEYBOARD_SETTLE_MS", "700")),
        # previews of unsaved choices (arrow keys step through a group one option at a time): cheap, read only
        "DRAFT_PREVIEW_RATE_LIMIT": os.environ.get("SCL_DRAFT_PREVIEW_RATE_LIMIT", "240 per minute; 2400 per hour"),
        # A participant still on the first step after consent, idle this long, gives up their slot.
        "SLOT_IDLE_MINUTES": int(os.environ.get("SCL_SLOT_IDLE_MINUTES", "10")),
    }
