"""A shirt design as an immutable value, and the difference between two designs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .catalogue import MONOGRAM_KEY, Catalogue, DesignError, shirt_catalogue


@dataclass(frozen=True)
class Design:
    """One complete shirt: a level for every catalogue attribute, plus a monogram.

    Values are hashable and compare by content, so a design can key a cache and two
    designs can be compared attribute by attribute.
    """

    choices: tuple[tuple[str, str], ...]
    monogram: str = ""

    @classmethod
    def build(cls, choices: Mapping[str, str], monogram: str = "") -> Design:
        return cls(tuple(sorted(choices.items())), monogram)

    @classmethod
    def default(cls, catalogue: Catalogue | None = None) -> Design:
        return cls.build((catalogue or shirt_catalogue()).default_choices())

    @classmethod
    def parse(
        cls,
        data: Mapping[str, object],
        catalogue: Catalogue,
        base: Design | None = None,
    ) -> Design:
        """Validate untrusted input (a form, JSON) into a design.

        Attributes missing from `data` keep their value from `base` (or the default).
        Unknown attributes and levels raise DesignError naming the attribute.
        """
        full = shirt_catalogue()
        start = dict((base or cls.default(catalogue)).choices)
        for key, value in data.items():
            if key == MONOGRAM_KEY or key in ("csrf_token", "action"):
                continue
            if key not in full:
                raise DesignError(f"unknown attribute {key!r}", field=key)
            if key not in catalogue:
                raise DesignError(f"{full.attribute(key).label} cannot be changed in this study", field=key)
            catalogue.attribute(key).level(str(value))
            start[key] = str(value)
        monogram = (base.monogram if base else "")
        if MONOGRAM_KEY in data:
            monogram = catalogue.clean_monogram(data[MONOGRAM_KEY])  # type: ignore[arg-type]
        return cls.build(start, monogram)

    @classmethod
    def from_json(cls, text: str) -> Design:
        data = json.loads(text)
        return cls.build(data["choices"], data.get("monogram", ""))

    def to_json(self) -> str:
        return json.dumps({"choices": dict(self.choices), "monogram": self.monogram}, sort_keys=True)

    @property
    def mapping(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.choices))

    def __getitem__(self, attribute: str) -> str:
        if attribute == MONOGRAM_KEY:
            return self.monogram
        return self.mapping[attribute]

    def with_level(self, attribute: str, level: str) -> Design:
        if attribute == MONOGRAM_KEY:
            return Design(self.choices, level)
        choices = dict(self.choices)
        choices[attribute] = level
        return Design.build(choices, self.monogram)

    def digest(self) -> str:
        """A short content hash: the address of this design's preview image."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Change:
    attribute: str
    before: str
    after: str


def diff(before: Design, after: Design) -> tuple[Change, ...]:
    """Every attribute whose level differs, in catalogue order (monogram last)."""
    a, b = before.mapping, after.mapping
    order = [k for k in shirt_catalogue().keys if k in a or k in b]
    changes = [Change(k, a.get(k, ""), b.get(k, "")) for k in order if a.get(k) != b.get(k)]
    if before.monogram != after.monogram:
        changes.append(Change(MONOGRAM_KEY, before.monogram, after.monogram))
    return tuple(changes)
