"""The floor for bench_load.py: the least a Flask app under our gunicorn settings can do per request.

Each GET renders a tiny page after one small write (an INSERT and a COMMIT) to the same
database the site uses, through Flask-SQLAlchemy with the same pool settings. Our site's
requests per second are printed as a ratio of this app's.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

db = SQLAlchemy()


def create_app() -> Flask:
    app = Flask(__name__)
    threads = int(os.environ.get("THREADS") or 4)
    url = os.environ["DATABASE_URL"]
    app.config.update(SQLALCHEMY_DATABASE_URI=url,
                      SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads + 2, "max_overflow": 4})
    db.init_app(app)
    with app.app_context():  # two workers may race to create the table: one wins, the other rolls back
        try:
            db.session.execute(text("CREATE TABLE IF NOT EXISTS floor_hit (id SERIAL PRIMARY KEY, path VARCHAR(40))"))
            db.session.commit()
        except Exception:  # noqa: BLE001
            db.session.rollback()

    @app.get("/")
    @app.get("/<path:path>")
    def hit(path: str = ""):
        db.session.execute(text("INSERT INTO floor_hit (path) VALUES (:path)"), {"path": path[:40]})
        db.session.commit()
        return "<!doctype html><title>floor</title><p>ok</p>"

    return app
