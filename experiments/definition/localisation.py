"""The languages a study may be taken in and the tables that translate its texts.

The shipped tables (experiments/texts), an instrument file's own `[translations.<code>]`, and the
study file's `[study] languages` and `[translations.<code>]`; `StudyDefinition.localized` applies them.
"""

from __future__ import annotations

import difflib
import tomllib

from .parts import EXPERIMENTS_DIR
from .reader import _Reader, show

LANGUAGES = ("en", "de", "ja")  # the interface languages the platform has catalogues for
TEXTS_DIR = EXPERIMENTS_DIR / "texts"
_TEXTS: dict[str, dict[str, str]] = {}


def study_texts(language: str) -> dict[str, str]:
    """The shipped translations of study texts (instruments, demo texts, catalogue), English → language."""
    if language not in _TEXTS:
        path = TEXTS_DIR / f"{language}.toml"
        _TEXTS[language] = dict(tomllib.loads(path.read_text("utf-8")).get("texts", {})) if path.exists() else {}
    return _TEXTS[language]


def _languages(r: _Reader, study: dict) -> tuple[str, ...]:
    """`[study] languages`: known codes, each once; English when absent."""
    raw = study.get("languages", ["en"])
    if isinstance(raw, str) or not isinstance(raw, list) or not raw:
        r.fail("study.languages",
               f"must be a non-empty list of language codes such as [\"de\", \"ja\"], got {show(raw)}")
        return ("en",)
    chosen: list[str] = []
    for code in raw:
        if not isinstance(code, str) or code not in LANGUAGES:
            near = difflib.get_close_matches(str(code).lower(), LANGUAGES, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail("study.languages", f"{show(code)} is not a language the platform speaks; {hint}"
                                      f"known: {', '.join(LANGUAGES)}")
        elif code in chosen:
            r.fail("study.languages", f"{code!r} is listed twice")
        else:
            chosen.append(code)
    return tuple(chosen) or ("en",)


MAX_TRANSLATIONS = 2000  # texts per language; a study has a few hundred at most


def _translations(r: _Reader, data: dict, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`[translations.<code>]`: the study's own wording of its texts, "English original" = "translation"."""
    raw = r.table(data, "translations", "")
    out: dict[str, dict[str, str]] = {}
    for code, table in raw.items():
        where = f"translations.{code}"
        if code == "en" or code not in languages:
            offered = [c for c in languages if c != "en"]
            r.fail(where, f"{show(code)} is not one of the study's other languages "
                          f"([study] languages); translations may be given for: {', '.join(offered) or 'none'}")
            continue
        pairs = _pairs(r, table, where)
        if pairs is not None:
            out[code] = pairs
    return out


def _instrument_translations(r: _Reader, raw: object, where: str, into: dict[str, dict[str, str]]) -> None:
    """An instrument file's `[translations.<code>]`, added to `into` (an earlier instrument's wording wins).

    Unlike the study's own, a language the study does not list is no error: an instrument may be
    translated further than any one study that asks it.
    """
    if not isinstance(raw, dict):
        r.fail(where, f"must be tables [translations.<code>] of \"English text\" = \"translation\", got {show(raw)}")
        return
    for code, table in raw.items():
        if code == "en" or code not in LANGUAGES:
            r.fail(f"{where}.{show(code)}", f"{show(code)} is not a language to translate into; "
                                          f"known: {', '.join(c for c in LANGUAGES if c != 'en')}")
            continue
        pairs = _pairs(r, table, f"{where}.{code}")
        if pairs is not None:
            merged = into.setdefault(code, {})
            for original, text in pairs.items():
                merged.setdefault(original, text)


def _pairs(r: _Reader, table: object, where: str) -> dict[str, str] | None:
    """A table of "English original" = "translation": non-empty texts of bounded length."""
    if not isinstance(table, dict):
        r.fail(where, f"must be a table of \"English text\" = \"translation\" pairs, got {show(table)}")
        return None
    if len(table) > MAX_TRANSLATIONS:
        r.fail(where, f"has {len(table)} entries; at most {MAX_TRANSLATIONS}")
        return None
    pairs: dict[str, str] = {}
    for original, text in table.items():
        if not isinstance(text, str) or not text.strip():
            r.fail(f"{where}.{show(original)}", f"the translation must be non-empty text, got {show(text)}")
        elif len(text) > 20000:
            r.fail(f"{where}.{show(original)}", "the translation is longer than 20000 characters")
        else:
            pairs[original] = text
    return pairs
