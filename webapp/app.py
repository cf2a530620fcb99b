"""The application factory: a list of named steps, each small enough to read at a glance."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import input_guard
from .config import default_config
from .database import configure_engine
from .extensions import csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    app = Flask(__name__, instance_relative_config=True, instance_path=config.pop("INSTANCE_PATH", None))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(default_config(app.instance_path))
    app.config.update(config)
    register_extensions(app)
    input_guard.init_app(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    register_response_headers(app)
    prepare_database(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "studio.login"
    login_manager.login_message = "Please log in to open the studio."
    with app.app_context():
        configure_engine(db.engine)


def register_blueprints(app: Flask) -> None:
    from . import gallery, participant, previews, studio

    app.register_blueprint(participant.bp)
    app.register_blueprint(gallery.bp)
    app.register_blueprint(previews.bp)
    app.register_blueprint(studio.bp)

    @app.get("/")
    def index():
        from sqlalchemy import select
        from .models import Study
        studies = db.session.execute(select(Study).where(Study.status == "open").order_by(Study.slug)).scalars().all()
        return render_template("index.html", studies=studies)


def register_commands(app: Flask) -> None:
    from .cli import register
    register(app)


def register_errorhandlers(app: Flask) -> None:
    """Every error is a page a participant can act on, never a stack trace."""

    def page(status: int, title: str, message: str):
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return {"error": title, "message": message}, status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, "This page has expired",
                    "Your browser sent a form we could not verify (it may be old or opened in another tab). "
                    "Go back, reload the page and try again: nothing you saved was lost.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed here", 413: "Too much data",
                  429: "Too many attempts", 400: "Something was wrong with that request"}
        return page(error.code or 500, titles.get(error.code, error.name), error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return page(500, "Something went wrong on our side",
                    "Nothing was saved from this last step. Please reload the page to continue where you were.")


def register_response_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self' https://app.prolific.com; frame-ancestors 'none'")
        return response


def prepare_database(app: Flask) -> None:
    """Bring the schema up to date and seed the demo study on first start (idempotent).

    Deployments and the local site run the Alembic migrations; the test suite builds a
    fresh schema from the models ("create_all"), and a test proves both give the same schema.
    """
    from flask_migrate import upgrade

    from .cli import seed_demo
    with app.app_context():
        setup = app.config.get("DATABASE_SETUP", "migrate")  # migrate | create_all | none
        if setup == "migrate":
            upgrade()
        elif setup == "create_all":
            db.create_all()
        if app.config.get("SEED_DEMO"):
            seed_demo()
