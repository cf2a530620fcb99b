"""Reading a parsed study file: keys, types and ranges checked, every problem kept with its dotted key.

The section parsers use `_Reader` and hand each other what they found in `_Parsing`, so all errors
of a file are reported at once and each message names the key, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.domain.catalogue import Catalogue

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")  # relations, persona and item keys: safe in URLs and form names
MAX_DEPTH = 12
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80
_shown.maxlevel = 3
_shown.maxlist = _shown.maxdict = 6


def show(value: Any) -> str:
    """A short, bounded rendering of a bad value for an error message."""
    return _shown.repr(value)


def _depth(data: Any) -> int:
    """Nesting depth, counted without recursion (a hostile file may nest thousands of levels)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return deepest


_KIND_NAMES = {str: "text", int: "whole number", float: "number", bool: "true or false", list: "list",
               dict: "table"}


class _Reader:
    """Reads keys from nested tables and remembers every problem with its dotted key."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def keys(self, table: Any, path: str, allowed: tuple[str, ...]) -> None:
        """Refuse keys the platform does not read, suggesting the nearest allowed one."""
        if not isinstance(table, dict):
            return
        for key in table:
            if key in allowed:
                continue
            where = f"{path}.{key}" if path else str(key)
            near = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            self.fail(where, f"unknown key; {hint}allowed here: {', '.join(allowed)}")

    def table(self, parent: Any, key: str, path: str, allowed: tuple[str, ...] | None = None) -> dict:
        """A sub-table (empty when absent); a non-table value is reported."""
        where = f"{path}.{key}" if path else key
        value = parent.get(key, {}) if isinstance(parent, dict) else {}
        if not isinstance(value, dict):
            self.fail(where, f"must be a table, got {show(value)}")
            return {}
        if allowed is not None:
            self.keys(value, where, allowed)
        return value

    def check_type(self, where: str, value: Any, kinds: tuple) -> bool:
        if isinstance(value, bool):
            ok = bool in kinds
        else:
            ok = isinstance(value, kinds) or (float in kinds and isinstance(value, int))
        if not ok:
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(where, f"must be {names}, got {show(value)}")
            return False
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(where, f"must be a finite number, got {show(value)}")
            return False
        if isinstance(value, str) and CONTROL_RE.search(value):
            self.fail(where, "must not contain control characters")
            return False
        return True

    def get(self, table: Any, key: str, path: str, kind: type | tuple, default: Any = ..., *,
            allowed: tuple | None = None, low: float | None = None, high: float | None = None,
            max_length: int | None = None) -> Any:
        where = f"{path}.{key}" if path else key
        missing = None if default is ... else default
        if not isinstance(table, dict) or key not in table:
            if default is ...:
                self.fail(where, "is required")
            return missing
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not self.check_type(where, value, kinds):
            return missing
        if allowed is not None and value not in allowed:
            self.fail(where, f"{show(value)} is not allowed; choose one of {', '.join(map(repr, allowed))}")
            return missing
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(where, f"must be between {low} and {high}, got {show(value)}")
            return missing
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            self.fail(where, f"is {len(value)} characters long; at most {max_length} fit")
            return missing
        return value

    def text_list(self, table: Any, key: str, path: str, default: Any = ..., *, max_length: int = 200,
                  unique: bool = True) -> list[str] | None:
        """A list of texts (levels, steps, options): the list and each entry are type-checked."""
        where = f"{path}.{key}" if path else key
        value = self.get(table, key, path, list, default)
        if value is None or value is default:
            return value
        result = []
        for n, entry in enumerate(value):
            if not self.check_type(f"{where}[{n}]", entry, (str,)):
                continue
            if len(entry) > max_length:
                self.fail(f"{where}[{n}]", f"is {len(entry)} characters long; at most {max_length} fit")
                continue
            result.append(entry)
        if unique and len(set(result)) != len(result):
            self.fail(where, f"lists an entry twice: {show(value)}")
        return result

    def name(self, table: Any, key: str, path: str, max_length: int, default: Any = ...) -> str | None:
        """A key used in URLs or as a form field name: lower-case letters, digits and '_'."""
        value = self.get(table, key, path, str, default, max_length=max_length)
        if isinstance(value, str) and value is not default and not NAME_RE.match(value):
            self.fail(f"{path}.{key}", f"{show(value)} must start with a-z and use only a-z, 0-9 and '_'")
            return None
        return value


def _entries(reader: _Reader, table: dict, key: str, path: str, allowed: tuple[str, ...],
             required: bool = True) -> list[tuple[str, dict]]:
    """A list of tables ([[key]]), each checked for unknown keys; yields (path, table)."""
    raw = table.get(key) if isinstance(table, dict) else None
    where = f"{path}.{key}" if path else key
    if raw is None:
        if required:
            reader.fail(where, "needs at least one entry")
        return []
    if not isinstance(raw, list) or (required and not raw):
        reader.fail(where, f"must be a non-empty list of tables ([[{where}]]), got {show(raw)}")
        return []
    result = []
    for n, entry in enumerate(raw):
        here = f"{where}[{n}]"
        if not isinstance(entry, dict):
            reader.fail(here, f"must be a table, got {show(entry)}")
            continue
        reader.keys(entry, here, allowed)
        result.append((here, entry))
    return result


@dataclass
class _Parsing:
    """One study file on its way to a StudyDefinition: what the section parsers found so far.

    The sections are read in a fixed order (`_SECTION_PARSERS`) because some depend on earlier
    ones: cells need the personas, suggestions the restricted catalogue, the flow the suggestion
    source; the questionnaires share one set of item keys so a key is unique in the study.
    """

    r: _Reader
    data: dict
    base: Path
    fields: dict[str, Any] = field(default_factory=dict)  # StudyDefinition's keyword arguments
    catalogue: Catalogue | None = None  # the study's restricted catalogue
    questionnaires: dict = field(default_factory=dict)  # the raw [questionnaires] table
    # translations carried by instrument files, language → {English original: text}; the study's own win
    instrument_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    taken: dict[str, str] = field(default_factory=dict)  # item keys in use → where
