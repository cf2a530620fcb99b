"""Refuse input no page can mean before any view sees it: control characters and out-of-range ids.

A NUL byte in a path, a query or a form field is a 400 (PostgreSQL cannot store one and
would raise deep inside a view); so are other C0 control characters except tab, line
feed and carriage return. An integer in the URL beyond a 32-bit column is a 404, since no
row can have that id.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ROW_ID = 2**31 - 1


def _has_control(values) -> bool:
    return any(CONTROL.search(value) for value in values)


def refuse_odd_input():
    if CONTROL.search(request.path) or _has_control(request.args.keys()) or _has_control(request.args.values()):
        abort(400, "The address contains characters it cannot contain.")
    if any(isinstance(value, int) and not 0 <= value <= MAX_ROW_ID for value in (request.view_args or {}).values()):
        abort(404, "There is no such item.")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_control(request.form.keys()) or _has_control(request.form.values()):
            abort(400, "A field contains control characters (such as a NUL byte). Please remove them and try again.")


def init_app(app: Flask) -> None:
    """Run before every view (after CSRF protection, which is registered earlier)."""
    app.before_request(refuse_odd_input)
