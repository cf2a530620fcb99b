"""The building blocks every report format shares: tables, figures, sections, and number formatting.

A section's items are plain data, so the terminal, Markdown and HTML renderers all read the same
content and never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str | None = None


@dataclass
class Figure:
    path: Path
    caption: str


Item = Table | Figure | str  # a section's content: a table, a figure or a paragraph


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)


def number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "NA"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def p_value(value: float | None) -> str:
    if value is None:
        return "NA"
    return "<.0001" if value < 0.0001 else f"{value:.4f}"


def ci_label(alpha: float) -> str:
    """'95 % CI' for alpha = .05: every interval names its level."""
    return f"{100 * (1 - alpha):g} % CI"
