"""What scripts/serve-production runs before gunicorn: check the settings, migrate once.

Usage: python -m webapp.production check | migrate. Each problem is one line on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import os
import sys


def fail(message: str) -> None:
    print(f"serve-production: {message}", file=sys.stderr)
    raise SystemExit(2)


def check() -> None:
    from sqlalchemy import create_engine, text

    from .config import production_problem
    problem = production_problem(os.environ.get("SCL_SECRET_KEY"), os.environ.get("SCL_PSEUDONYM_KEY"),
                                 os.environ.get("DATABASE_URL"))
    if problem:
        fail(problem)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "cannot reach the database"
        fail(f"cannot reach the database in DATABASE_URL ({type(error).__name__}: {str(error).splitlines()[0][:160]})")
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith("redis"):
        try:
            import redis
            redis.Redis.from_url(storage, socket_timeout=3).ping()
        except Exception as error:  # noqa: BLE001
            fail(f"cannot reach Redis in RATELIMIT_STORAGE_URI ({type(error).__name__})")


def migrate() -> None:
    """Run the Alembic upgrade (and the demo seed, if asked) in this one process."""
    os.environ["SCL_DATABASE_SETUP"] = "migrate"
    try:
        from . import create_app
        create_app()
    except Exception as error:  # noqa: BLE001
        fail(f"migrating the database failed ({type(error).__name__}: {str(error).splitlines()[0][:200]})")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    {"check": check, "migrate": migrate}.get(command, lambda: fail("say check or migrate"))()
