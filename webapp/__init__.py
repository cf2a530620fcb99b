"""The Flask site: participants, the public gallery, previews and the experimenters' studio.

`create_app` is loaded on first use, so importing the Flask-free core (`webapp.domain`,
used by `experiments` and the simulator's bots) does not load Flask or SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
