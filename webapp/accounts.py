"""Experimenter accounts: argon2id password hashes, the password policy, look-up by e-mail, and the CLI.

Ending sessions: a login cookie carries the account's session generation (see Experimenter.get_id);
logging out or changing the password bumps it, so every copy of an older cookie stops working.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import click
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask
from sqlalchemy import select

from .database import lock
from .extensions import db
from .models import Experimenter

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 accepts more; nobody types this much, and it bounds the work per attempt
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


class AccountError(ValueError):
    pass


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
# Runs that guessers try first: the alphabet, digits (wrapping 9 -> 0) and keyboard rows, both ways.
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm",
         "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
_DECORATION = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")


def _decoration_core(text: str) -> str:
    """`text` without the digits and punctuation around it (the pattern matches every string)."""
    match = _DECORATION.match(text)
    assert match is not None
    return match.group(1)


WEAK_PASSWORD = ("this password is too easy to guess ({why}); choose another, "
                 "for example four or five unrelated words")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _weakness(password: str, email: str | None) -> str | None:
    """Why a long enough password is still easy to guess, or None."""
    lowered = password.lower()
    compact = re.sub(r"\s+", "", lowered)
    if len(set(compact)) <= 2:
        return "it repeats one or two characters"
    for size in range(2, len(compact) // 2 + 1):  # 'abcabcabcabc', 'passpasspass'
        if len(compact) % size == 0 and compact[:size] * (len(compact) // size) == compact:
            return "it repeats a short piece"
    for run in _RUNS:
        if compact in run or compact in run[::-1]:
            return "it is a run of neighbouring characters"
    common = common_passwords()
    core = _decoration_core(lowered)
    if lowered in common or compact in common or core in common or re.sub(r"\s+", "", core) in common:
        return "it is on the list of the most common passwords"
    if email:
        local = normalise_email(email).split("@")[0]
        rest = compact.replace(normalise_email(email), "").replace(local, "") if len(local) >= 3 else compact
        if len(rest) < len(compact) and len(_decoration_core(rest)) < 6:
            return "it is mostly the e-mail address"
    return None


def check_password(password: str, email: str | None = None) -> str:
    """At least 12 characters and not among the passwords guessers try first."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    why = _weakness(password, email)
    if why:
        raise AccountError(WEAK_PASSWORD.format(why=why))
    return password


def hash_password(password: str) -> str:
    return hasher.hash(password)


def find_experimenter(email: str) -> Experimenter | None:
    return db.session.execute(
        select(Experimenter).where(Experimenter.email == normalise_email(email))).scalar_one_or_none()


def create_experimenter(email: str, password: str) -> Experimenter:
    """Add an account (the caller commits); refuses duplicates and weak passwords."""
    email = check_email(email)
    check_password(password, email)
    if find_experimenter(email) is not None:
        raise AccountError(f"an experimenter {email!r} exists already")
    experimenter = Experimenter(email=email, password_hash=hash_password(password), active=True)
    db.session.add(experimenter)
    db.session.flush()
    return experimenter


def set_password(experimenter: Experimenter, password: str) -> None:
    """A new password ends every session of the account (the caller logs the current one in again)."""
    experimenter.password_hash = hash_password(check_password(password, experimenter.email))
    end_sessions(experimenter)


def end_sessions(experimenter: Experimenter) -> None:
    """Every login cookie issued so far stops working (the caller commits)."""
    experimenter.session_generation = (experimenter.session_generation or 0) + 1


def experimenter_for_session(user_id: str) -> Experimenter | None:
    """The account a login cookie names, if the cookie is of its current session generation."""
    account, _, generation = (user_id or "").partition(".")
    if not (account.isdigit() and generation.isdigit()) or len(account) > 18:
        return None
    experimenter = db.session.get(Experimenter, int(account))
    if experimenter is None or str(experimenter.session_generation or 0) != generation:
        return None
    return experimenter


def end_sessions_of(experimenter_id: int) -> None:
    """Logout: the account's row is locked, so a concurrent password change is not lost."""
    end_sessions(lock(Experimenter, experimenter_id))


def change_password(experimenter_id: int, current: str, new: str, repeat: str) -> Experimenter:
    """Check the current password, then store the new one (the caller commits and logs in again)."""
    experimenter = lock(Experimenter, experimenter_id)
    if not verify_password(experimenter, current):
        raise AccountError("The current password is not right.")
    if new != repeat:
        raise AccountError("The two new passwords do not match.")
    try:
        set_password(experimenter, new)
    except AccountError as problem:
        raise AccountError(f"Not changed: {problem}.") from None
    return experimenter


def verify_password(experimenter: Experimenter, password: str) -> bool:
    if len(password or "") > MAX_PASSWORD_LENGTH:
        return False
    try:
        return hasher.verify(experimenter.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> Experimenter | None:
    """The experimenter whose e-mail and password match, else None.

    An unknown e-mail still costs one hash verification, so response times do not tell
    which addresses have accounts. A hash made with older parameters is replaced on
    success (the caller commits).
    """
    global _dummy_hash
    experimenter = find_experimenter(email) if email else None
    if len(password or "") > MAX_PASSWORD_LENGTH:
        return None
    if experimenter is None:
        if _dummy_hash is None:
            _dummy_hash = hasher.hash("not a password of anyone")
        try:
            hasher.verify(_dummy_hash, password or "")
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(experimenter.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(experimenter.password_hash):
        experimenter.password_hash = hasher.hash(password)
    return experimenter


# ---------------------------------------------------------------- command line
def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def register_cli(app: Flask) -> None:
    @app.cli.command("create-experimenter")
    @click.argument("email")
    @click.option("--password-stdin", is_flag=True,
                  help="Read the password from the first line of standard input (for scripts).")
    def create_experimenter_command(email, password_stdin):
        """Create an experimenter account; the password is asked twice and not echoed."""
        try:
            email = check_email(email)
            if find_experimenter(email) is not None:
                raise AccountError(f"an experimenter {email!r} exists already")
            experimenter = create_experimenter(email, _read_password(password_stdin))
        except AccountError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        from .study_admin import give_demo_an_owner
        owns_demo = give_demo_an_owner() == experimenter.email
        db.session.commit()
        click.echo(f"Experimenter {experimenter.email} created. Log in at /studio/login; "
                   f"load a study with: flask --app webapp study load FILE --owner {experimenter.email}")
        if owns_demo:
            click.echo("As the first experimenter, they own the demo study (/studio/studies/demo).")

    @app.cli.command("set-experimenter-password")
    @click.argument("email")
    @click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
    def set_password_command(email, password_stdin):
        """Replace an experimenter's password (asked twice, not echoed)."""
        experimenter = find_experimenter(email)
        if experimenter is None:
            raise click.ClickException(f"no experimenter {normalise_email(email)!r}")
        try:
            set_password(experimenter, _read_password(password_stdin))
        except AccountError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(f"Password of {experimenter.email} changed.")
