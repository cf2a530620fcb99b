"""The application factory: a list of named steps, each small enough to read at a glance."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import input_guard
from .config import default_config
from .database import SiteBusy, configure_engine
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .template_cache import share_compiled_templates

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
    register_static_versions(app)
    share_compiled_templates(app.jinja_env)
    register_proxy_fix(app)
    bound_render_caches(app)
    redact_access_logs()
    send_logs_to_server_log()
    prepare_database(app)
    restrict_instance_files(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind N trusted proxies, take the client's address and scheme from their headers."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


class RedactQueryString(logging.Filter):
    """Access log lines keep the path and drop the query string: entry URLs carry recruiting ids."""

    QUERY = __import__("re").compile(r"\?[^\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(self.QUERY.sub("?[redacted]", a) if isinstance(a, str) else a
                                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        record.msg = self.QUERY.sub("?[redacted]", record.msg) if isinstance(record.msg, str) else record.msg
        return True


def send_logs_to_server_log() -> None:
    """Under gunicorn, the app's warnings and tracebacks go to gunicorn's error log.

    Without this a 500 leaves no trace in production: gunicorn configures only its own loggers.
    """
    server = logging.getLogger("gunicorn.error")
    ours = logging.getLogger("webapp")
    if server.handlers and not ours.handlers:
        for handler in server.handlers:
            ours.addHandler(handler)
        ours.setLevel(logging.INFO)


def redact_access_logs() -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactQueryString) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactQueryString())


def register_static_versions(app: Flask) -> None:
    """Static URLs carry a digest of the file, so a long max-age never serves a stale file."""
    import hashlib

    versions: dict[str, str] = {}

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            name = values["filename"]
            if name not in versions:
                path = Path(app.static_folder or "static") / name
                versions[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"
            values["v"] = versions[name]


def restrict_instance_files(app: Flask) -> None:
    """The instance folder holds the SQLite database and the secrets: owner only."""
    instance = Path(app.instance_path)
    try:
        instance.chmod(0o700)
        for path in instance.iterdir():
            if path.is_file():
                path.chmod(0o600)
    except OSError:  # a folder we do not own (read-only deployments): leave it as it is
        log.warning("could not restrict permissions in %s", instance)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from .i18n import TRANSLATIONS, compile_catalogues, install_template_gettext, select_locale
    compile_catalogues()
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    install_template_gettext(app)
    from flask_babel import get_locale
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    from babel.numbers import get_currency_precision, get_currency_symbol
    from flask_babel import format_currency
    app.jinja_env.globals.update(
        currency_places=get_currency_precision, format_currency=format_currency,
        currency_symbol=lambda code: get_currency_symbol(code, locale=str(get_locale() or "en")))
    login_manager.login_view = "studio.login"
    login_manager.login_message = "Please log in to open the studio."
    with app.app_context():
        configure_engine(db.engine)


def bound_render_caches(app: Flask) -> None:
    """The renderer's part cache is per process (shared by every app in it): one budget in bytes."""
    from .domain import render_layers
    render_layers.PARTS.set_budget(app.config["PART_CACHE_BYTES"])


def register_blueprints(app: Flask) -> None:
    from . import gallery, participant, previews, resume, studio

    app.register_blueprint(participant.bp)
    app.register_blueprint(gallery.bp)
    app.register_blueprint(previews.bp)
    app.register_blueprint(studio.bp)
    app.register_blueprint(resume.bp)

    @app.get("/")
    def index():
        from .studies import open_studies
        return render_template("index.html", studies=open_studies())


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
        return page(400, _("This page has expired"),
                    _("Your browser sent a form we could not verify (it may be old or opened in another tab). "
                      "Go back, reload the page and try again: nothing you saved was lost."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {404: _("Page not found"), 403: _("Not allowed"), 405: _("Not allowed here"), 413: _("Too much data"),
                  429: _("Too many attempts"), 400: _("Something was wrong with that request")}
        code = error.code or 500
        return page(code, titles.get(code, error.name), error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if isinstance(error, SiteBusy) or "database is locked" in str(error):
            g.reads_only = True  # rendering the page may read (the study's languages), never write
            log.warning("database busy: %s %s answered 503", request.method, request.endpoint)
            response = page(503, "Very busy right now",
                            "Nothing was saved from this last step. Please wait a few seconds and try again.")
            return response[0], 503, {"Retry-After": "5"}
        log.exception("unhandled error")
        return page(500, _("Something went wrong on our side"),
                    _("Nothing was saved from this last step. Please reload the page to continue where you were."))


def register_response_headers(app: Flask) -> None:
    production = app.config.get("PRODUCTION")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self' https://app.prolific.com; frame-ancestors 'none'")
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def prepare_database(app: Flask) -> None:
    """Bring the schema up to date and seed the demo study on first start (idempotent).

    Deployments and the local site run the Alembic migrations; the test suite builds a
    fresh schema from the models ("create_all"), and a test proves both give the same schema.
    """
    from flask_migrate import upgrade

    from .cli import seed_demo
    with app.app_context():
        # serve-production migrates once before the workers start and sets SCL_DATABASE_SETUP=none.
        setup = app.config.get("DATABASE_SETUP") or os.environ.get("SCL_DATABASE_SETUP") or "migrate"
        if setup == "migrate":
            upgrade()
        elif setup == "create_all":
            db.create_all()
        if app.config.get("SEED_DEMO"):
            seed_demo()
