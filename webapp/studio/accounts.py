"""Logging in and out and changing one's password; the account rules live in webapp.accounts."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import AccountError, authenticate, end_sessions_of, experimenter_for_session, normalise_email
from ..accounts import change_password as store_new_password
from ..extensions import db, limiter, login_manager
from .blueprint import bp
from .forms import ActionForm, LoginForm, PasswordChangeForm

log = logging.getLogger(__name__)

LOGIN_LIMIT_PER_ACCOUNT = "5 per minute"   # per IP and e-mail
LOGIN_LIMIT_PER_ADDRESS = "30 per minute"  # per IP, whatever e-mail is tried
PASSWORD_CHANGE_LIMIT = "5 per minute"     # per account: the current password is checked like a login


@login_manager.user_loader
def load_experimenter(user_id: str):
    """Only a cookie of the account's current session generation logs in (logout ends all copies)."""
    return experimenter_for_session(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="login required", login=url_for("studio.login")), 401
    flash("Please log in to open the studio.", "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("studio.login", next=target) if target else url_for("studio.login"))


def login_key() -> str:
    return f"{get_remote_address()}|{normalise_email(request.form.get('email', ''))[:254]}"


def account_key() -> str:
    return f"account-{current_user.get_id()}"


def safe_next(target: str | None) -> str | None:
    """Only a path inside the studio, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/studio") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=login_key, methods=["POST"], scope="studio-login-account")
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], scope="studio-login-address")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(".index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        experimenter = authenticate(form.email.data, form.password.data)
        if experimenter is not None and login_user(experimenter):
            db.session.commit()  # a rehashed password
            log.info("experimenter %s logged in", experimenter.id)
            return redirect(safe_next(request.args.get("next")) or url_for(".index"), code=303)
        db.session.rollback()
        error = "The e-mail or password is not right."
    elif request.method == "POST":
        error = "Please enter your e-mail and password."
    status = 401 if error and request.method == "POST" else 200
    return render_template("studio/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    if not ActionForm().validate_on_submit():
        abort(400, "This form has expired. Reload the page and try again.")
    end_sessions_of(current_user.id)  # every copy of this login cookie stops working
    db.session.commit()
    logout_user()
    session.pop("pilot", None)
    flash("You are logged out.", "info")
    return redirect(url_for(".login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(PASSWORD_CHANGE_LIMIT, key_func=account_key, methods=["POST"], scope="studio-password-change")
def change_password():
    """A new password ends every other session of the account; this one stays logged in."""
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        try:
            experimenter = store_new_password(current_user.id, form.current.data, form.new.data, form.repeat.data)
        except AccountError as problem:
            db.session.rollback()
            error = str(problem)
        else:
            db.session.commit()
            login_user(experimenter)  # this browser gets a cookie of the new generation
            log.info("experimenter %s changed their password", experimenter.id)
            flash("Your password is changed; every other session of your account has ended.", "info")
            return redirect(url_for(".index"), code=303)
    elif request.method == "POST":
        error = "Please fill in all three fields."
    return (render_template("studio/password.html", form=form, error=error, logout_form=ActionForm()),
            400 if error else 200)
