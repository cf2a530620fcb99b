"""What this browser's signed session cookie holds about the studies it visits: the one home of its keys.

Everything is kept per study slug, so one browser can be in several studies at once:

- ``participants``: the participant token this browser takes the study as;
- ``nonces``: the one-time value the consent form was shown with (a reposted or stale form is refused);
- ``recruit``: the recruiting panel and the *keyed hashes* of the ids the entry link carried, until consent
  binds them to a participant (the cookie is readable by its holder, so it never holds an id);
- ``pilot``: the cell an experimenter pilots in this browser;
- ``declined``: that this browser declined once (a decline is counted once and keeps nothing else);
- ``lang``: the language asked for with ``?lang=`` before consent (consent then fixes it on the participant).

Flask's session is a dict of dicts here; assigning a fresh copy marks it modified, so every write goes
through `_put` and no caller edits the nested dicts by hand.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import session


def _of(key: str) -> dict[str, Any]:
    return session.get(key, {})


def _put(key: str, slug: str, value: Any | None) -> None:
    """Set (or with None remove) one study's entry of one key."""
    entries = dict(_of(key))
    if value is None:
        entries.pop(slug, None)
    else:
        entries[slug] = value
    session[key] = entries


# ---------------------------------------------------------------- the participant taken in each study
def participant_token(slug: str) -> str | None:
    return _of("participants").get(slug)


def participant_tokens() -> dict[str, str]:
    """Every study's token in this browser (a design's owner is recognised by any of them)."""
    return _of("participants")


def remember_participant(slug: str, token: str) -> None:
    _put("participants", slug, token)
    session.permanent = True  # a participant may close the tab and come back to the same step


def forget_participant(slug: str) -> None:
    """The next visit to the study starts a fresh participant in this browser."""
    _put("participants", slug, None)


# ---------------------------------------------------------------- consent
def issue_consent_nonce(slug: str) -> str:
    nonce = secrets.token_urlsafe(24)
    _put("nonces", slug, nonce)
    return nonce


def consent_nonce(slug: str) -> str | None:
    return _of("nonces").get(slug)


def hold_recruit(slug: str, recruit: dict[str, str]) -> None:
    _put("recruit", slug, recruit)


def pending_recruit(slug: str) -> dict[str, str] | None:
    return _of("recruit").get(slug)


def drop_recruit(slug: str) -> None:
    _put("recruit", slug, None)


def finish_consent(slug: str) -> None:
    """After declining, the nonce and the carried recruiting hashes are used up."""
    _put("recruit", slug, None)
    _put("nonces", slug, None)


def has_declined(slug: str) -> bool:
    return bool(_of("declined").get(slug))


def mark_declined(slug: str) -> None:
    _put("declined", slug, True)


def chosen_language(slug: str) -> str | None:
    return _of("lang").get(slug)


def choose_language(slug: str, language: str) -> None:
    _put("lang", slug, language)


# ---------------------------------------------------------------- piloting
def pilot_cell(slug: str) -> str | None:
    return _of("pilot").get(slug)


def start_pilot(slug: str, cell: str) -> None:
    _put("pilot", slug, cell)


def stop_pilot(slug: str) -> str | None:
    """End piloting the study here; returns the cell that was piloted, if any."""
    was = pilot_cell(slug)
    _put("pilot", slug, None)
    return was
