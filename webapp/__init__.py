"""The Flask site: participants, the public gallery, previews and the experimenters' studio."""

from .app import create_app

__all__ = ["create_app"]
