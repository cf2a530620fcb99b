"""The shirt catalogue: which attributes exist, their levels, and what a study allows."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


class CatalogueError(ValueError):
    """A catalogue or a restriction of it names something that does not exist."""


class DesignError(ValueError):
    """A design names an unknown attribute or level, or carries an invalid monogram.

    `field` is the attribute at fault, so a form can show the message beside it.
    """

    def __init__(self, message: str, field: str | None = None, msgid: str | None = None, **params: object):
        super().__init__(message)
        self.field = field
        # for the web layer to say it in the participant's language: gettext(msgid) % params
        self.msgid, self.params = msgid, params


def N_(message: str) -> str:
    """Marks a message for extraction into the catalogues; the web layer translates it."""
    return message


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    rgb: str | None = None
    phrase: str = ""  # how a suggester names it in a sentence: "a button-down collar"


@dataclass(frozen=True)
class Attribute:
    key: str
    label: str
    levels: tuple[Level, ...]

    @property
    def level_keys(self) -> tuple[str, ...]:
        return tuple(level.key for level in self.levels)

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise DesignError(
            f"{self.label}: unknown option {key!r}; choose one of {', '.join(self.level_keys)}",
            field=self.key,
        )

    def describe(self, level_key: str) -> str:
        """A phrase a suggester would say, e.g. 'a button-down collar' (written per level)."""
        level = self.level(level_key)
        return level.phrase or f"{level.label.lower()} ({self.label.lower()})"


MONOGRAM_KEY = "monogram"

LATIN_CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Letters beyond A-Z that people writing a study's language use in their initials, limited to those the
# renderer can embroider: it draws the bundled font's base letter and adds the diaeresis itself
# (render_layers.monogram_masks). Japanese participants write monograms in Latin initials (romaji), as
# shirt makers there do, so "ja" adds nothing; kana and kanji are refused.
MONOGRAM_EXTRA_LETTERS = {"de": "ÄÖÜ"}


def monogram_letters(languages: Iterable[str]) -> str:
    """The letters a monogram may use in a study taken in these languages (every language's, so data pool)."""
    extra = "".join(MONOGRAM_EXTRA_LETTERS.get(code, "") for code in languages)
    return LATIN_CAPITALS + "".join(dict.fromkeys(ch for ch in extra if ch not in LATIN_CAPITALS))


@dataclass(frozen=True)
class Catalogue:
    attributes: tuple[Attribute, ...]
    monogram_max_length: int = 3
    monogram_enabled: bool = True
    monogram_letters: str = LATIN_CAPITALS
    _index: dict[str, Attribute] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        self._index.update({a.key: a for a in self.attributes})

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.attributes)

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def attribute(self, key: str) -> Attribute:
        try:
            return self._index[key]
        except KeyError:
            raise DesignError(
                f"unknown attribute {key!r}; the shirt has {', '.join(self.keys)}", field=key
            ) from None

    def translated(self, say: Callable[[str], str]) -> Catalogue:
        """The same catalogue with labels and phrases in another language (`say` maps English text to it).

        Phrases are whole, hand-written phrases per language (keyed by the English phrase),
        never assembled from English pieces; keys and colours stay as they are.
        """
        return Catalogue(tuple(
            Attribute(a.key, say(a.label),
                      tuple(Level(lv.key, say(lv.label), lv.rgb, say(lv.phrase) if lv.phrase else "")
                            for lv in a.levels))
            for a in self.attributes), self.monogram_max_length, self.monogram_enabled, self.monogram_letters)

    def with_monogram_letters(self, letters: str) -> Catalogue:
        """The same catalogue accepting these monogram letters (see `monogram_letters`)."""
        return Catalogue(self.attributes, self.monogram_max_length, self.monogram_enabled, letters)

    @property
    def monogram_letters_shown(self) -> str:
        """The accepted letters as a person would list them: 'A–Z' or 'A–Z, Ä, Ö, Ü'."""
        extra = [ch for ch in self.monogram_letters if ch not in LATIN_CAPITALS]
        return ", ".join(["A–Z", *extra])

    def default_choices(self) -> dict[str, str]:
        return {a.key: a.levels[0].key for a in self.attributes}

    def restrict(
        self,
        exclude: Iterable[str] = (),
        levels: Mapping[str, Iterable[str]] | None = None,
        monogram: bool = True,
    ) -> Catalogue:
        """The catalogue a study offers: some attributes dropped, some levels allowed.

        An excluded attribute keeps its first allowed level in every design, so designs
        stay comparable across studies; it is simply not offered to the participant.
        """
        exclude = set(exclude)
        levels = dict(levels or {})
        for key in [*exclude, *levels]:
            if key not in self:
                raise CatalogueError(f"unknown attribute {key!r}; allowed: {', '.join(self.keys)}")
        kept = []
        for attribute in self.attributes:
            if attribute.key in exclude:
                continue
            if attribute.key in levels:
                wanted = list(levels[attribute.key])
                unknown = [k for k in wanted if k not in attribute.level_keys]
                if unknown:
                    raise CatalogueError(
                        f"{attribute.key}: unknown level(s) {', '.join(map(repr, unknown))}; "
                        f"allowed: {', '.join(attribute.level_keys)}"
                    )
                if len(wanted) < 1:
                    raise CatalogueError(f"{attribute.key}: at least one level must remain")
                by_key = {lvl.key: lvl for lvl in attribute.levels}
                attribute = Attribute(
                    attribute.key, attribute.label,
                    tuple(by_key[k] for k in wanted),
                )
            kept.append(attribute)
        return Catalogue(tuple(kept), self.monogram_max_length, monogram and self.monogram_enabled,
                         self.monogram_letters)

    def clean_monogram(self, raw: str | None) -> str:
        """Normalise a monogram to at most N capitals of the study's letters, or explain why not.

        Compatibility forms are folded and accents composed first (full-width 'Ａ' becomes 'A',
        'O' + combining diaeresis becomes 'Ö'); anything that is still not one of `monogram_letters`
        (other accents, kana, emoji, control or zero-width characters) is refused.
        """
        if raw is None:
            return ""
        text = unicodedata.normalize("NFKC", str(raw)).strip().upper()
        text = "".join(text.split())  # "J D" is read as "JD"
        if not text:
            return ""
        if not self.monogram_enabled:
            raise DesignError("This study does not offer a monogram.", field=MONOGRAM_KEY,
                              msgid=N_("This study does not offer a monogram."))
        if len(text) > self.monogram_max_length:
            raise DesignError(
                f"A monogram has at most {self.monogram_max_length} letters.", field=MONOGRAM_KEY,
                msgid=N_("A monogram has at most %(n)s letters."), n=self.monogram_max_length)
        if not all(ch in self.monogram_letters for ch in text):
            raise DesignError(f"A monogram may use only the letters {self.monogram_letters_shown}.", field=MONOGRAM_KEY,
                              msgid=N_("A monogram may use only the letters %(letters)s."),
                              letters=self.monogram_letters_shown)
        return text


def catalogue_from_mapping(data: Mapping[str, Any]) -> Catalogue:
    attributes = []
    for raw in data["attributes"]:
        levels = tuple(Level(lv["key"], lv["label"], lv.get("rgb"), lv.get("phrase", "")) for lv in raw["levels"])
        attributes.append(Attribute(raw["key"], raw["label"], levels))
    mono = data.get("monogram", {})
    return Catalogue(tuple(attributes), int(mono.get("max_length", 3)))


@cache
def shirt_catalogue() -> Catalogue:
    """The full dress-shirt catalogue shipped with the platform."""
    text = resources.files("webapp.domain").joinpath("catalogue.toml").read_text("utf-8")
    return catalogue_from_mapping(tomllib.loads(text))
