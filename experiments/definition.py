"""A study as data: load a TOML study file, validate it, and expose a typed definition.

Every error names the file, the key, the bad value and what is allowed, and all errors
of a file are reported at once, so a researcher fixes a file in one pass.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import reprlib
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webapp.domain import columns
from webapp.domain.catalogue import Catalogue, CatalogueError, monogram_letters, shirt_catalogue
from webapp.domain.personas import AVATARS

from . import steps

EXPERIMENTS_DIR = Path(__file__).resolve().parent

VISIBILITIES = ("public", "private")
RULES = ("random", "adjacent", "preferred")
SOURCES = ("scripted", "peer", "mix")
OUTCOMES = ("completed", "declined", "attention_failed", "timed_out", "full", "duplicate")
# Suggestion wordings when a study sets none: several, so the gallery's comments do not all open alike
# (the shipped studies' wordings, translated in experiments/texts).
DEFAULT_WORDINGS = (
    "Nice shirt! How about {suggestion}?",
    "Looks good. Maybe try {suggestion}?",
    "I like it. What about {suggestion}?",
    "Good start; I would go for {suggestion}.",
    "How about {suggestion}?",
    "Not bad! Maybe {suggestion} would suit it.",
)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# The step vocabulary comes from experiments.steps; these names stay for readers of the module.
STEPS_REQUIRED = steps.required()
STEPS_KNOWN = steps.known()
DEFAULT_FLOW = steps.default_flow()


class StudyFileError(ValueError):
    """A study file is invalid; `problems` lists every (key, message) found."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- value types
@dataclass(frozen=True)
class Scale:
    min: int = 1
    max: int = 7
    low: str = "Strongly disagree"
    high: str = "Strongly agree"


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    facet: str = ""
    reverse: bool = False
    attention: int | None = None  # instructed response: the one correct answer


@dataclass(frozen=True)
class LikertBlock:
    title: str
    intro: str
    scale: Scale
    items: tuple[Item, ...]

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.attention is None)


@dataclass(frozen=True)
class Wtp:
    key: str
    text: str
    currency: str
    min: float
    max: float


@dataclass(frozen=True)
class ChoiceCheck:
    key: str
    text: str
    options: tuple[str, ...]
    expected: str


@dataclass(frozen=True)
class Checks:
    title: str
    manipulation_key: str
    manipulation_text: str
    manipulation_scale: Scale
    attention: tuple[ChoiceCheck, ...]


@dataclass(frozen=True)
class Demographics:
    title: str
    intro: str
    age_text: str
    age_min: int
    age_max: int
    gender_text: str
    gender_options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    avatar: str
    relation_label: str


@dataclass(frozen=True)
class Cell:
    visibility: str
    relation: str
    target_n: int

    @property
    def key(self) -> str:
        return f"{self.visibility}/{self.relation}"


@dataclass(frozen=True)
class SuggestionPlan:
    count: int
    attributes: tuple[str, ...]
    rule: str
    preferred: dict[str, tuple[str, ...]]
    text: tuple[str, ...]  # one or more wordings; each suggestion uses one, drawn per participant
    texts: dict[str, str]
    source: str
    peer_wait_seconds: int
    peer_share: float
    comment_max_length: int


@dataclass(frozen=True)
class Outcome:
    code: str
    redirect_url: str


@dataclass(frozen=True)
class StudyDefinition:
    slug: str
    title: str
    description: str
    seed: int
    time_limit_minutes: int
    consent_text: str
    decline_text: str
    cells: tuple[Cell, ...]
    personas: dict[str, tuple[Persona, ...]]
    suggestions: SuggestionPlan
    flow: tuple[str, ...]
    thinking_style: LikertBlock
    evaluation: LikertBlock
    wtp: Wtp
    closeness_prompt: str
    checks: Checks
    demographics: Demographics
    outcomes: dict[str, Outcome]
    catalogue_exclude: tuple[str, ...] = ()
    catalogue_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    monogram: bool = True
    # Likert blocks of declared questionnaire steps beyond the built-in ones, by step name.
    extra_blocks: dict[str, LikertBlock] = field(default_factory=dict)
    # [monitor] outcome_by_cell: show the outcome (conformity) by cell live in the monitor; off by
    # default, so watching data come in does not invite peeking at the comparison.
    monitor_outcome_by_cell: bool = False
    # The interface languages participants may take the study in; the first is the fallback.
    languages: tuple[str, ...] = ("en",)
    # [recruitment]: the panel's name and the query parameters its links carry; empty = Prolific's (and MTurk's)
    recruitment: dict[str, str] = field(default_factory=dict)
    # [study] time_extension_minutes: the more time a participant may ask for once (WCAG 2.2.1);
    # None = the default for the limit (webapp.domain.time_limit: half the limit, at least 5 minutes)
    time_extension_minutes: int | None = None
    # [persona_pool]: language -> the (name, avatar) pairs suggestions seem to come from; empty = the built-in pool
    persona_pool: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # The study's own translations of its texts, language → {English original: translation}; they take
    # precedence over the shipped tables in experiments/texts (`[translations.de]` in the study file).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def visibilities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.visibility for c in self.cells))

    @property
    def relations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.relation for c in self.cells))

    def catalogue(self) -> Catalogue:
        """The study's catalogue in this definition's language, built once (both are immutable)."""
        if "_catalogue" not in self.__dict__:
            catalogue = (shirt_catalogue().restrict(self.catalogue_exclude, self.catalogue_levels, self.monogram)
                         .with_monogram_letters(monogram_letters(self.languages)))
            say = self.__dict__.get("_say")
            object.__setattr__(self, "_catalogue", catalogue.translated(say) if say else catalogue)
        return self.__dict__["_catalogue"]

    def say(self, text: str) -> str:
        """A study text in this (localized) definition's language; the text itself in the original."""
        say = self.__dict__.get("_say")
        return say(text) if say else text

    def localized(self, language: str | None) -> StudyDefinition:
        """This definition with every participant-facing text in `language` (cached per language).

        Keys, answer values and scoring stay the same, so data from every language pools.
        Texts without a translation stay English; `untranslated(language)` lists them.
        """
        if not language or language == "en" or language not in self.languages:
            return self
        cache = self.__dict__.setdefault("_localized", {})
        if language not in cache:
            cache[language] = _localize(self, language)
        return cache[language]

    def texts(self) -> list[str]:
        """Every participant-facing text of the study (English originals), for translation checks."""
        found: list[str] = []
        _localize(self, "en", found.append)
        return [t for t in dict.fromkeys(found) if t.strip()]

    def untranslated(self, language: str) -> list[str]:
        """The study's texts that would stay English in `language` (neither shipped nor in the study file)."""
        table = self.text_table(language)
        return [t for t in self.texts() if t not in table]

    def pool_in(self, language: str | None) -> tuple[tuple[str, str], ...]:
        """The study's persona pool for a language (its first language's when that one has none); () if unset."""
        if not self.persona_pool:
            return ()
        return self.persona_pool.get(language or "", self.persona_pool.get(self.languages[0], ()))

    def translation_gaps(self) -> str | None:
        """A warning naming the texts that would stay English for some of the study's languages, or None."""
        parts = []
        for language in self.languages:
            missing = self.untranslated(language) if language != "en" else []
            if missing:
                shown = ", ".join(show(t) for t in missing[:3]) + (", …" if len(missing) > 3 else "")
                parts.append(f"{len(missing)} text(s) stay English in {language!r} ({shown}); "
                             f"translate them under [translations.{language}]")
        return "; ".join(parts) or None

    def text_table(self, language: str) -> dict[str, str]:
        """English original → text in `language`: the shipped table, overridden by the study's own."""
        if language == "en":
            return {}
        return {**study_texts(language), **self.translations.get(language, {})}

    def likert_block(self, step: str) -> LikertBlock:
        """The Likert block a questionnaire step asks: a built-in field or a declared extra block."""
        block = getattr(self, step, None)
        return block if isinstance(block, LikertBlock) else self.extra_blocks[step]

    def to_json(self) -> str:
        data = asdict(self)
        if not data["extra_blocks"]:  # absent when unused, so earlier versions keep their fingerprints
            del data["extra_blocks"]
        if not data["monitor_outcome_by_cell"]:  # likewise
            del data["monitor_outcome_by_cell"]
        if not data["recruitment"]:  # absent when the defaults apply, so earlier fingerprints hold
            del data["recruitment"]
        if tuple(data["languages"]) == ("en",):  # absent when English only, so earlier fingerprints hold
            del data["languages"]
        if data["time_extension_minutes"] is None:  # absent when the default applies, likewise
            del data["time_extension_minutes"]
        if not data["persona_pool"]:  # absent when the built-in pool applies, so earlier fingerprints hold
            del data["persona_pool"]
        if not data["translations"]:  # likewise
            del data["translations"]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StudyDefinition:
        """Rebuild a stored version (the database keeps each version as JSON)."""
        return parse_study(json.loads(text), source="<stored>", _stored=True)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()


# ---------------------------------------------------------------- validation
SECTIONS = ("study", "consent", "factors", "personas", "persona_pool", "catalogue", "suggestions", "questionnaires",
            "flow", "completion", "monitor", "recruitment", "translations")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")  # relations, persona and item keys: safe in URLs and form names
AVATAR_RE = re.compile(r"^[a-z0-9-]+$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]*$")
# Form field names the questionnaire pages already use, and names a form class owns.
RESERVED_KEYS = frozenset({
    "csrf_token", "submit", "wtp", "age", "gender", "data", "errors", "meta", "form_errors", "validate",
    "validate_on_submit", "process", "populate_obj", "hidden_tag", "is_submitted", "extra_validators",
})
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


def _load_instrument(reader: _Reader, table: Any, path: str, default_file: str, base: Path) -> dict:
    """A questionnaire block comes inline or from `instrument = "file.toml"` (default shipped)."""
    table = table if isinstance(table, dict) else {}
    name = reader.get(table, "instrument", path, str, default_file, max_length=200)
    merged: dict = {}
    file = (base / name) if not Path(name).is_absolute() else Path(name)
    if not file.is_file():
        file = EXPERIMENTS_DIR / name
    try:
        merged = tomllib.loads(file.read_text("utf-8"))
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError):
        reader.fail(f"{path}.instrument", f"file {name!r} not found next to the study or under experiments/")
    except tomllib.TOMLDecodeError as error:
        reader.fail(f"{path}.instrument", f"{name} is not valid TOML: {error}")
    except RecursionError:
        reader.fail(f"{path}.instrument", f"{name} is nested too deeply")
    merged.update({k: v for k, v in table.items() if k != "instrument"})
    return merged


def _scale(reader: _Reader, parent: dict, path: str) -> Scale:
    raw = reader.table(parent, "scale", path, ("min", "max", "low", "high"))
    path = f"{path}.scale"
    lo = reader.get(raw, "min", path, int, 1, low=0, high=10)
    hi = reader.get(raw, "max", path, int, 7, low=2, high=11)
    if lo is not None and hi is not None and hi <= lo:
        reader.fail(f"{path}.max", f"must be above min ({lo}), got {hi}")
    return Scale(lo if lo is not None else 1, hi or 7,
                 reader.get(raw, "low", path, str, "Strongly disagree", max_length=200),
                 reader.get(raw, "high", path, str, "Strongly agree", max_length=200))


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


def _item_key(reader: _Reader, entry: dict, where: str, taken: dict[str, str]) -> str:
    """Item keys become form field names and answer rows: safe, not reserved, unique in the study."""
    key = reader.name(entry, "key", where, columns.ITEM_KEY)
    if key is None:
        return ""
    if key in RESERVED_KEYS or key.startswith("ios_"):
        reader.fail(f"{where}.key", f"{key!r} is reserved by the platform (reserved: "
                                    f"{', '.join(sorted(RESERVED_KEYS))} and names starting with 'ios_')")
    elif key in taken:
        reader.fail(f"{where}.key", f"duplicate item key {key!r} (already used at {taken[key]})")
    taken.setdefault(key, where)
    return key


def _likert(reader: _Reader, raw: dict, path: str, taken: dict[str, str], extra: tuple[str, ...] = ()) -> LikertBlock:
    reader.keys(raw, path, ("instrument", "title", "intro", "scale", "items", *extra))
    scale = _scale(reader, raw, path)
    items = []
    for where, entry in _entries(reader, raw, "items", path, ("key", "text", "facet", "reverse", "attention")):
        key = _item_key(reader, entry, where, taken)
        attention = reader.get(entry, "attention", where, int, None, low=scale.min, high=scale.max)
        items.append(Item(key, reader.get(entry, "text", where, str, max_length=2000) or "",
                          reader.get(entry, "facet", where, str, "", max_length=60),
                          reader.get(entry, "reverse", where, bool, False), attention))
    if items and not any(i.attention is None for i in items):
        reader.fail(f"{path}.items", "needs at least one scored (non-attention) item")
    return LikertBlock(reader.get(raw, "title", path, str, "", max_length=200),
                       reader.get(raw, "intro", path, str, "", max_length=2000), scale, tuple(items))


def _outcomes(reader: _Reader, data: dict) -> dict[str, Outcome]:
    result = {}
    raw = reader.table(data, "completion", "")
    for name, entry in raw.items():
        where = f"completion.{name}"
        if name not in OUTCOMES:
            near = difflib.get_close_matches(str(name), OUTCOMES, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            reader.fail(where, f"unknown outcome; {hint}allowed: {', '.join(OUTCOMES)}")
            continue
        if not isinstance(entry, dict):
            reader.fail(where, f"must be a table like {{ code = \"ABC123\" }}, got {show(entry)}")
            continue
        reader.keys(entry, where, ("code", "redirect"))
        code = reader.get(entry, "code", where, str, "", max_length=40)
        if code and not CODE_RE.match(code):
            reader.fail(f"{where}.code", f"{show(code)} may use only letters, digits, '-' and '_'")
            code = ""
        url = reader.get(entry, "redirect", where, str, "", max_length=2000)
        if url and (not url.startswith("https://") or re.search(r"\s", url)):
            reader.fail(f"{where}.redirect", f"must be an https:// address without spaces, got {show(url)}")
            url = ""
        if "{code}" in url:
            url = url.replace("{code}", code or "")
        result[name] = Outcome(code or "", url)
    if "completed" not in result:
        reader.fail("completion.completed", "is required (the code shown when a participant finishes)")
    return result


def _wording_ok(wording: str) -> bool:
    """A suggestion wording must format with only {suggestion} (other braces would crash the page)."""
    try:
        return "{suggestion}" in wording and bool(wording.format(suggestion="x"))
    except (KeyError, IndexError, ValueError, AttributeError):
        return False


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
    taken: dict[str, str] = field(default_factory=dict)  # item keys in use → where


def parse_study(data: dict, source: str = "<memory>", base: Path | None = None,
                _stored: bool = False) -> StudyDefinition:
    """Validate a parsed TOML (or stored JSON) mapping into a StudyDefinition."""
    if _stored:
        return _from_stored(data)
    if not isinstance(data, dict):
        raise StudyFileError(source, [("(file)", "must be a TOML document of tables")])
    if _depth(data) > MAX_DEPTH:
        raise StudyFileError(source, [("(file)", f"is nested more than {MAX_DEPTH} levels deep; "
                                                 "study files need at most a few")])
    parsing = _Parsing(_Reader(source), data, base or EXPERIMENTS_DIR)
    for parse_section in _SECTION_PARSERS:
        parse_section(parsing)
    if parsing.r.problems:
        raise StudyFileError(source, parsing.r.problems)
    definition = StudyDefinition(**parsing.fields)
    _check_translated_texts(parsing.r, definition)  # needs the whole study: every text it shows
    if parsing.r.problems:
        raise StudyFileError(source, parsing.r.problems)
    return definition


def _unknown_sections(p: _Parsing) -> None:
    for key in p.data:
        if key not in SECTIONS:
            near = difflib.get_close_matches(str(key), SECTIONS, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            p.r.fail(str(key), f"unknown section; {hint}allowed: {', '.join(SECTIONS)}")


def _study_section(p: _Parsing) -> None:
    r = p.r
    study = r.table(p.data, "study", "", ("slug", "title", "description", "seed", "time_limit_minutes", "languages",
                                          "time_extension_minutes"))
    slug = r.get(study, "slug", "study", str)
    if slug is not None and not SLUG_RE.match(slug):
        r.fail("study.slug",
               f"{show(slug)} must be 2–40 characters of a–z, 0–9 and '-', starting with a letter or digit")
    p.fields.update(
        slug=slug,
        title=r.get(study, "title", "study", str, max_length=columns.STUDY_TITLE),
        description=r.get(study, "description", "study", str, "", max_length=2000),
        seed=r.get(study, "seed", "study", int, 1, low=0, high=2**62),
        time_limit_minutes=r.get(study, "time_limit_minutes", "study", int, 60, low=5, high=24 * 60),
        time_extension_minutes=r.get(study, "time_extension_minutes", "study", int, None, low=1, high=24 * 60),
        languages=_languages(r, study),
    )


def _consent_section(p: _Parsing) -> None:
    consent = p.r.table(p.data, "consent", "", ("text", "decline_text"))
    p.fields["consent_text"] = p.r.get(consent, "text", "consent", str, max_length=20000)
    p.fields["decline_text"] = p.r.get(
        consent, "decline_text", "consent", str,
        "You chose not to take part. Please return your submission on the recruiting site.", max_length=5000)


def _personas_section(p: _Parsing) -> None:
    """The personas per relation; a persona key is unique across relations."""
    r = p.r
    personas: dict[str, tuple[Persona, ...]] = {}
    raw_personas = r.table(p.data, "personas", "")
    if not raw_personas and isinstance(p.data.get("personas", {}), dict):
        r.fail("personas", "needs at least one relation, e.g. [[personas.friend]]")
    persona_keys: set[str] = set()
    for relation in raw_personas:
        if not (NAME_RE.match(relation) and len(relation) <= columns.RELATION):
            r.fail(f"personas.{relation}", f"relation {show(relation)} must be at most {columns.RELATION} characters, "
                                           "start with a-z and use only a-z, 0-9 and '_' (it appears in web addresses)")
            continue
        people = [_persona(r, here, entry, relation, persona_keys)
                  for here, entry in _entries(r, raw_personas, relation, "personas",
                                              ("key", "name", "avatar", "relation_label"))]
        if people:
            personas[relation] = tuple(people)
    p.fields["personas"] = personas


def _persona(r: _Reader, here: str, entry: dict, relation: str, persona_keys: set[str]) -> Persona:
    key = r.name(entry, "key", here, columns.PERSONA_KEY)
    if key is not None and key in persona_keys:
        r.fail(f"{here}.key", f"duplicate persona key {key!r}")
    persona_keys.add(key or "")
    avatar = r.get(entry, "avatar", here, str, "circle", max_length=columns.PERSONA_AVATAR)
    if avatar and not AVATAR_RE.match(avatar):
        r.fail(f"{here}.avatar", f"{show(avatar)} may use only a-z, 0-9 and '-'")
    return Persona(key or "", r.get(entry, "name", here, str, max_length=columns.PERSONA_NAME) or "",
                   avatar or "circle",
                   r.get(entry, "relation_label", here, str, relation, max_length=columns.RELATION_LABEL) or relation)


def _factors_section(p: _Parsing) -> None:
    """The cells: every visibility crossed with every relation that has personas."""
    r, personas = p.r, p.fields["personas"]
    factors = r.table(p.data, "factors", "", ("visibility", "relation", "target_n_per_cell"))
    visibilities = r.text_list(factors, "visibility", "factors", list(VISIBILITIES), max_length=10) or []
    for v in visibilities:
        if v not in VISIBILITIES:
            r.fail("factors.visibility", f"{show(v)} is not allowed; choose from {', '.join(VISIBILITIES)}")
    relations = r.text_list(factors, "relation", "factors", list(personas)[:1], max_length=columns.RELATION) or []
    for rel in relations:
        if rel not in personas:
            r.fail("factors.relation", f"{show(rel)} has no personas; defined: {', '.join(personas) or 'none'}")
    target = r.get(factors, "target_n_per_cell", "factors", int, 50, low=1, high=100000)
    cells = tuple(Cell(v, rel, target or 50) for v in dict.fromkeys(visibilities) if v in VISIBILITIES
                  for rel in dict.fromkeys(relations) if rel in personas)
    if not cells:
        r.fail("factors", "no cells: give at least one visibility and one relation")
    p.fields["cells"] = cells


def _catalogue_section(p: _Parsing) -> None:
    """The catalogue restriction; later sections check attributes against the restricted catalogue."""
    r = p.r
    full = shirt_catalogue()
    cat = r.table(p.data, "catalogue", "", ("exclude", "levels", "monogram"))
    exclude = tuple(r.text_list(cat, "exclude", "catalogue", [], max_length=30) or [])
    levels_raw = r.table(cat, "levels", "catalogue")
    levels: dict[str, list[str]] = {}
    for attribute in levels_raw:
        chosen = r.text_list(levels_raw, attribute, "catalogue.levels", max_length=30)
        if chosen is not None:
            levels[attribute] = chosen
    monogram = r.get(cat, "monogram", "catalogue", bool, True)
    try:
        p.catalogue = full.restrict(exclude, levels, monogram)
    except CatalogueError as error:
        r.fail("catalogue", str(error))
        p.catalogue = full
    p.fields.update(catalogue_exclude=exclude, catalogue_levels={k: tuple(v) for k, v in levels.items()},
                    monogram=monogram)


def _suggestions_section(p: _Parsing) -> None:
    r, restricted = p.r, p.catalogue
    assert restricted is not None  # _catalogue_section runs first
    sug = r.table(p.data, "suggestions", "")
    if "reviews_per_participant" in sug:
        r.fail("suggestions.reviews_per_participant",
               "is not supported: each participant reviews exactly one earlier design; remove this key")
    r.keys({k: v for k, v in sug.items() if k != "reviews_per_participant"}, "suggestions",
           ("count", "attributes", "rule", "preferred", "text", "texts", "source", "peer_wait_seconds",
            "peer_share", "comment_max_length"))
    count = r.get(sug, "count", "suggestions", int, 3, low=1, high=10)
    attributes = _suggested_attributes(r, sug, restricted, count)
    rule = r.get(sug, "rule", "suggestions", str, "random", allowed=RULES)
    preferred = _preferred_levels(r, sug, restricted, rule, attributes)
    wordings = _suggestion_wordings(r, sug)
    texts = _attribute_wordings(r, sug, restricted)
    _check_suggestion_length(r, restricted, attributes, wordings, texts)
    source_kind = r.get(sug, "source", "suggestions", str, "scripted", allowed=SOURCES)
    wait = r.get(sug, "peer_wait_seconds", "suggestions", int, 0, low=0, high=3600)
    share = r.get(sug, "peer_share", "suggestions", float, 1.0 if source_kind == "peer" else 0.0, low=0, high=1)
    comment_max = r.get(sug, "comment_max_length", "suggestions", int, 200, low=0, high=columns.COMMENT)
    p.fields["suggestions"] = SuggestionPlan(
        count, tuple(attributes or ()), rule, preferred, wordings, dict(texts), source_kind, wait,
        float(share if share is not None else 0.0), comment_max)  # None only with a problem reported


def _suggested_attributes(r: _Reader, sug: dict, restricted: Catalogue, count: int | None) -> list[str] | None:
    attributes = r.text_list(sug, "attributes", "suggestions", list(restricted.keys), max_length=30)
    for a in attributes or []:
        if a not in restricted:
            r.fail("suggestions.attributes", f"{show(a)} is not offered; allowed: {', '.join(restricted.keys)}")
        elif len(restricted.attribute(a).levels) < 2:
            r.fail("suggestions.attributes", f"{a!r} has a single level in this study, so nothing can be suggested")
    if attributes is not None and count is not None and len(set(attributes)) < count:
        r.fail("suggestions.count",
               f"{count} suggestions need at least {count} distinct attributes, got {len(set(attributes))}")
    return attributes


def _preferred_levels(r: _Reader, sug: dict, restricted: Catalogue, rule: str | None,
                      attributes: list[str] | None) -> dict[str, tuple[str, ...]]:
    """`[suggestions.preferred]`: the levels rule 'preferred' proposes, per attribute."""
    preferred_raw = r.table(sug, "preferred", "suggestions")
    preferred = {}
    for a in preferred_raw:
        lv = r.text_list(preferred_raw, a, "suggestions.preferred", max_length=30)
        if a not in restricted:
            r.fail(f"suggestions.preferred.{a}", f"unknown attribute; allowed: {', '.join(restricted.keys)}")
            continue
        if lv is None:
            continue
        bad = [x for x in lv if x not in restricted.attribute(a).level_keys]
        if bad:
            r.fail(f"suggestions.preferred.{a}",
                   f"unknown level(s) {show(bad)}; allowed: {', '.join(restricted.attribute(a).level_keys)}")
        preferred[a] = tuple(lv)
    if rule == "preferred":
        for a in attributes or []:
            if a not in preferred:
                r.fail(f"suggestions.preferred.{a}",
                       "rule 'preferred' needs a list of levels for every suggested attribute")
    return preferred


def _suggestion_wordings(r: _Reader, sug: dict) -> tuple[str, ...]:
    text = r.get(sug, "text", "suggestions", (str, list), list(DEFAULT_WORDINGS))
    wordings = tuple([text] if isinstance(text, str) else (text or []))
    if not wordings or not all(isinstance(w, str) and _wording_ok(w) for w in wordings):
        r.fail("suggestions.text", "must be a text, or a list of texts, each containing {suggestion} "
                                   "where the proposed change goes (and no other braces)")
        wordings = ()
    return wordings


def _attribute_wordings(r: _Reader, sug: dict, restricted: Catalogue) -> dict[str, str]:
    """`[suggestions.texts]`: a wording of its own for an attribute's suggestions."""
    texts_raw = r.table(sug, "texts", "suggestions")
    texts = {}
    for a, t in texts_raw.items():
        where = f"suggestions.texts.{a}"
        if a not in restricted:
            r.fail(where, f"unknown attribute; allowed: {', '.join(restricted.keys)}")
        elif r.check_type(where, t, (str,)):
            if _wording_ok(t):
                texts[a] = t
            else:
                r.fail(where, "must contain {suggestion} where the proposed change goes (and no other braces)")
    return texts


def _check_suggestion_length(r: _Reader, restricted: Catalogue, attributes: list[str] | None,
                             wordings: tuple[str, ...], texts: dict[str, str]) -> None:
    """Every suggestion the study could make must fit its database column."""
    longest = 0
    for a in attributes or []:
        if a in restricted:
            spec = restricted.attribute(a)
            for template in ([texts[a]] if a in texts else list(wordings)):
                for level in spec.level_keys:
                    longest = max(longest, len(template.format(suggestion=spec.describe(level))))
    if longest > columns.SUGGESTION_TEXT:
        r.fail("suggestions.text", f"a suggestion would be {longest} characters long; at most "
                                   f"{columns.SUGGESTION_TEXT} fit (shorten the wording)")


def _questionnaires_section(p: _Parsing) -> None:
    """The built-in questionnaires; declared extra Likert steps follow the flow (`_extra_blocks_section`)."""
    r, base = p.r, p.base
    q = p.questionnaires = r.table(p.data, "questionnaires", "",
                                   ("thinking_style", "evaluation", "closeness", "checks", "demographics",
                                    *(s.name for s in _extra_likert_steps())))
    ts = "questionnaires.thinking_style"
    p.fields["thinking_style"] = _likert(
        r, _load_instrument(r, q.get("thinking_style", {}), ts, "instruments/thinking_style.toml", base), ts, p.taken)
    ev = "questionnaires.evaluation"
    ev_raw = _load_instrument(r, q.get("evaluation", {}), ev, "instruments/evaluation.toml", base)
    p.fields["evaluation"] = _likert(r, ev_raw, ev, p.taken, extra=("wtp",))
    p.fields["wtp"] = _wtp(r, ev_raw)
    p.fields["closeness_prompt"] = _closeness_prompt(r, q)
    p.fields["checks"] = _checks(r, q, base, p.taken)
    p.fields["demographics"] = _demographics(r, q, base)


def _wtp(r: _Reader, ev_raw: dict) -> Wtp:
    wp = "questionnaires.evaluation.wtp"
    wtp_raw = r.table(ev_raw, "wtp", "questionnaires.evaluation", ("key", "text", "currency", "min", "max"))
    wtp_min = r.get(wtp_raw, "min", wp, float, 0, low=0, high=1e9)
    wtp_max = r.get(wtp_raw, "max", wp, float, 500, low=0, high=1e9)
    if wtp_min is not None and wtp_max is not None and wtp_min > wtp_max:
        r.fail(f"{wp}.max", f"must be at least min ({wtp_min:g}), got {wtp_max:g}; no answer could be accepted")
    wtp = Wtp(r.get(wtp_raw, "key", wp, str, "wtp", max_length=columns.ITEM_KEY),
              r.get(wtp_raw, "text", wp, str, "How much would you pay for this shirt?", max_length=2000),
              r.get(wtp_raw, "currency", wp, str, "GBP", max_length=10),
              float(wtp_min if wtp_min is not None else 0), float(wtp_max if wtp_max is not None else 500))
    _check_currency(r, wtp.currency, f"{wp}.currency")
    return wtp


def _closeness_prompt(r: _Reader, q: dict) -> str:
    closeness_raw = r.table(q, "closeness", "questionnaires", ("prompt",))
    closeness_prompt: str = r.get(closeness_raw, "prompt", "questionnaires.closeness", str,
                                  "Which picture best describes how close you feel to {name}?", max_length=2000)
    try:
        closeness_prompt.format(name="x")
    except (KeyError, IndexError, ValueError, AttributeError):
        r.fail("questionnaires.closeness.prompt", "may contain {name} and no other braces")
    return closeness_prompt


def _checks(r: _Reader, q: dict, base: Path, taken: dict[str, str]) -> Checks:
    """The manipulation check and the attention checks with their expected answers."""
    cp = "questionnaires.checks"
    ck_raw = _load_instrument(r, q.get("checks", {}), cp, "instruments/checks.toml", base)
    r.keys(ck_raw, cp, ("instrument", "title", "manipulation", "attention"))
    man = r.table(ck_raw, "manipulation", cp, ("key", "text", "scale"))
    man_key = _item_key(r, {"key": "mc_visibility", **man}, f"{cp}.manipulation", taken)
    attention = []
    for where, entry in _entries(r, ck_raw, "attention", cp, ("key", "text", "options", "expected"), required=False):
        key = _item_key(r, entry, where, taken)
        options = tuple(r.text_list(entry, "options", where, max_length=columns.ANSWER_TEXT) or [])
        if len(options) < 2:
            r.fail(f"{where}.options", "needs at least two options")
        expected = r.get(entry, "expected", where, str)
        if expected is not None and expected not in options:
            r.fail(f"{where}.expected", f"{show(expected)} is not one of the options {show(list(options))}")
        attention.append(ChoiceCheck(key, r.get(entry, "text", where, str, max_length=2000) or "",
                                     options, expected or ""))
    return Checks(r.get(ck_raw, "title", cp, str, "A few last questions", max_length=200),
                  man_key, r.get(man, "text", f"{cp}.manipulation", str, max_length=2000),
                  _scale(r, man, f"{cp}.manipulation"), tuple(attention))


def _demographics(r: _Reader, q: dict, base: Path) -> Demographics:
    dp = "questionnaires.demographics"
    dm = _load_instrument(r, q.get("demographics", {}), dp, "instruments/demographics.toml", base)
    r.keys(dm, dp, ("instrument", "title", "intro", "age", "gender"))
    age = r.table(dm, "age", dp, ("key", "text", "min", "max"))
    gender = r.table(dm, "gender", dp, ("key", "text", "options"))
    age_min = r.get(age, "min", f"{dp}.age", int, 18, low=0, high=150)
    age_max = r.get(age, "max", f"{dp}.age", int, 100, low=0, high=150)
    if age_min is not None and age_max is not None and age_min > age_max:
        r.fail(f"{dp}.age.max", f"must be at least min ({age_min}), got {age_max}")
    gender_options = []
    for where, entry in _entries(r, gender, "options", f"{dp}.gender", ("key", "label"), required=False):
        key = r.get(entry, "key", where, str, max_length=columns.ANSWER_TEXT)
        label = r.get(entry, "label", where, str, max_length=200)
        if key is not None and label is not None:
            gender_options.append((key, label))
    if len({k for k, _ in gender_options}) != len(gender_options):
        r.fail(f"{dp}.gender.options", "an option key appears twice")
    return Demographics(
        r.get(dm, "title", dp, str, "About you (optional)", max_length=200),
        r.get(dm, "intro", dp, str, "", max_length=2000),
        r.get(age, "text", f"{dp}.age", str, "Your age", max_length=2000),
        age_min if age_min is not None else 18, age_max if age_max is not None else 100,
        r.get(gender, "text", f"{dp}.gender", str, "Your gender", max_length=2000),
        tuple(gender_options),
    )


def _flow_section(p: _Parsing) -> None:
    """`[flow] steps`: known steps, each once, in an order the step declarations allow."""
    r = p.r
    flow_raw = r.table(p.data, "flow", "", ("steps",))
    flow = tuple(r.text_list(flow_raw, "steps", "flow", list(steps.default_flow()), max_length=20, unique=False) or ())
    known = steps.known()
    for step in flow:
        if step not in known:
            near = difflib.get_close_matches(step, known, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail("flow.steps", f"unknown step {show(step)}; {hint}known steps: {', '.join(known)}")
    for step in steps.required():
        if step not in flow:
            r.fail("flow.steps", f"must include {step!r}")
    if len(set(flow)) != len(flow):
        r.fail("flow.steps", "a step appears twice")
    _check_step_order(r, flow)
    source_kind = p.fields["suggestions"].source
    if source_kind in ("peer", "mix") and "review" not in flow:
        r.fail("flow.steps",
               f"suggestion source {source_kind!r} needs a 'review' step between 'design' and 'suggestions'")
    p.fields["flow"] = flow


def _check_step_order(r: _Reader, flow: tuple[str, ...]) -> None:
    for first in (s.name for s in steps.all_steps() if s.first):
        if flow and flow[0] != first:
            r.fail("flow.steps", f"must start with {first!r}")
    order = {s: i for i, s in enumerate(flow)}
    for before, after in steps.order_rules():
        if before in order and after in order and order[before] > order[after]:
            r.fail("flow.steps", f"{before!r} must come before {after!r}")


def _extra_blocks_section(p: _Parsing) -> None:
    """The blocks of declared Likert steps beyond the built-in ones, for the steps the flow has."""
    extra_blocks = {}
    for step in _extra_likert_steps():
        if step.name in p.fields["flow"]:
            where = f"questionnaires.{step.name}"
            raw = _load_instrument(p.r, p.questionnaires.get(step.name, {}), where, step.instrument, p.base)
            extra_blocks[step.name] = _likert(p.r, raw, where, p.taken)
    p.fields["extra_blocks"] = extra_blocks


def _completion_section(p: _Parsing) -> None:
    p.fields["outcomes"] = _outcomes(p.r, p.data)


def _monitor_section(p: _Parsing) -> None:
    monitor = p.r.table(p.data, "monitor", "", ("outcome_by_cell",))
    p.fields["monitor_outcome_by_cell"] = bool(p.r.get(monitor, "outcome_by_cell", "monitor", bool, False))


def _recruitment_section(p: _Parsing) -> None:
    p.fields["recruitment"] = _recruitment(p.r, p.data)


def _persona_pool_section(p: _Parsing) -> None:
    most_per_relation = max((len(ps) for ps in p.fields.get("personas", {}).values()), default=1)
    p.fields["persona_pool"] = _persona_pool(p.r, p.data, p.fields.get("languages", ("en",)), most_per_relation)


def _translations_section(p: _Parsing) -> None:
    p.fields["translations"] = _translations(p.r, p.data, p.fields.get("languages", ("en",)))


# The study file's sections in the order they are read (and their problems reported); see _Parsing.
_SECTION_PARSERS: tuple[Callable[[_Parsing], None], ...] = (
    _unknown_sections, _study_section, _consent_section, _personas_section, _factors_section, _catalogue_section,
    _suggestions_section, _questionnaires_section, _flow_section, _extra_blocks_section, _completion_section,
    _monitor_section, _recruitment_section, _persona_pool_section, _translations_section,
)


LANGUAGES = ("en", "de", "ja")  # the interface languages the platform has catalogues for
TEXTS_DIR = EXPERIMENTS_DIR / "texts"
_TEXTS: dict[str, dict[str, str]] = {}


def study_texts(language: str) -> dict[str, str]:
    """The shipped translations of study texts (instruments, demo texts, catalogue), English → language."""
    if language not in _TEXTS:
        path = TEXTS_DIR / f"{language}.toml"
        _TEXTS[language] = dict(tomllib.loads(path.read_text("utf-8")).get("texts", {})) if path.exists() else {}
    return _TEXTS[language]


RECRUITMENT_DEFAULTS = {"panel": "prolific", "id_param": "PROLIFIC_PID", "session_param": "SESSION_ID",
                        "study_param": "STUDY_ID"}
PARAM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
PANEL_RE = re.compile(r"[a-z][a-z0-9_]{0,15}")


def _recruitment(r: _Reader, data: dict) -> dict[str, str]:
    """`[recruitment]`: which query parameters carry the panel's participant, session and study ids.

    Absent: Prolific's names (PROLIFIC_PID, SESSION_ID, STUDY_ID; MTurk's workerId and
    assignmentId are recognised too). Present: only the named parameters, Prolific's by default.
    """
    if "recruitment" not in data:
        return {}
    raw = r.table(data, "recruitment", "", tuple(RECRUITMENT_DEFAULTS))
    chosen = dict(RECRUITMENT_DEFAULTS)
    for key in RECRUITMENT_DEFAULTS:
        value = raw.get(key, RECRUITMENT_DEFAULTS[key])
        pattern = PANEL_RE if key == "panel" else PARAM_RE
        if not isinstance(value, str) or not pattern.fullmatch(value):
            what = ("1–16 characters of a–z, 0–9 and '_', starting with a letter" if key == "panel" else
                    "a query parameter name: 1–40 letters, digits or '_', starting with a letter")
            r.fail(f"recruitment.{key}", f"{show(value)} must be {what}")
        else:
            chosen[key] = value
    params = [chosen[k] for k in ("id_param", "session_param", "study_param")]
    if len(set(params)) < len(params):
        r.fail("recruitment", f"id_param, session_param and study_param must differ, got {', '.join(params)}")
    if "lang" in params:
        r.fail("recruitment", "'lang' is the entry link's language parameter; name the panel's parameters otherwise")
    return chosen


def _persona_pool(r: _Reader, data: dict, languages: tuple[str, ...],
                  needed: int) -> dict[str, tuple[tuple[str, str], ...]]:
    """`[persona_pool]`: the names (and avatars) suggestions seem to come from, per language if need be.

    `names` is one list for every language, or a table of lists by language code; `avatars`
    (optional) are handed to the names in turn. Each list needs at least as many distinct
    names as the largest relation has personas (a participant sees each under another name).
    Absent: {} (the built-in pool, webapp.domain.personas).
    """
    if "persona_pool" not in data:
        return {}
    raw = r.table(data, "persona_pool", "", ("names", "avatars"))
    avatars = _pool_avatars(r, raw)
    names = raw.get("names")
    if names is None:
        r.fail("persona_pool.names", "is required: a list of names, e.g. names = [\"Alex\", \"Sam\", ...], "
                                     "or one list per language (names.de = [...])")
        return {}
    if isinstance(names, list):  # one list for every language: checked once
        chosen = _pool_names(r, names, "persona_pool.names", needed)
        shared = tuple((name, avatars[n % len(avatars)]) for n, name in enumerate(chosen))
        return {language: shared for language in languages} if shared else {}
    if not isinstance(names, dict):
        r.fail("persona_pool.names", f"must be a list of names or a table of lists by language, got {show(names)}")
        return {}
    lists = _pool_lists_by_language(r, names, languages)
    pool: dict[str, tuple[tuple[str, str], ...]] = {}
    for language, (where, entry) in lists.items():
        chosen = _pool_names(r, entry, where, needed)
        if chosen:
            pool[language] = tuple((name, avatars[n % len(avatars)]) for n, name in enumerate(chosen))
    return pool


def _pool_avatars(r: _Reader, raw: dict) -> tuple[str, ...]:
    """`persona_pool.avatars`: avatars the platform draws, handed to the names in turn (all of them when absent)."""
    avatars = tuple(r.text_list(raw, "avatars", "persona_pool", list(AVATARS), max_length=columns.PERSONA_AVATAR)
                    or AVATARS)
    for avatar in avatars:
        if avatar not in AVATARS:
            near = difflib.get_close_matches(avatar, AVATARS, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail("persona_pool.avatars", f"{show(avatar)} is not an avatar the platform draws; {hint}"
                                           f"known: {', '.join(AVATARS)}")
    return avatars


def _pool_lists_by_language(r: _Reader, names: dict, languages: tuple[str, ...]) -> dict[str, tuple[str, Any]]:
    """`names.<code> = [...]`: language → (where, its raw list), for the study's languages only."""
    lists = {}
    for language, entry in names.items():
        if language not in LANGUAGES:
            near = difflib.get_close_matches(str(language).lower(), LANGUAGES, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail(f"persona_pool.names.{language}", f"{show(language)} is not a language the platform "
                                                     f"speaks; {hint}known: {', '.join(LANGUAGES)}")
        elif language in languages:  # a list for a language the study does not offer (yet) stays unused
            lists[language] = (f"persona_pool.names.{language}", entry)
    if languages[0] not in lists:
        r.fail("persona_pool.names", f"needs a list for {languages[0]!r}, the study's first language "
                                     "(languages without a list of their own use it)")
    return lists


def _pool_names(r: _Reader, entry: Any, where: str, needed: int) -> list[str]:
    """One language's names: texts, none empty or too long for the suggestion rows, none twice, enough of them."""
    if not isinstance(entry, list):
        r.fail(where, f"must be a list of names, got {show(entry)}")
        return []
    chosen: list[str] = []
    seen: dict[str, int] = {}
    for n, name in enumerate(entry):
        here = f"{where}[{n}]"
        if not r.check_type(here, name, (str,)):
            continue
        name = name.strip()
        if not name:
            r.fail(here, "is empty; give a name or remove the entry")
        elif len(name) > columns.PERSONA_NAME:
            r.fail(here, f"is {len(name)} characters long; at most {columns.PERSONA_NAME} fit")
        elif name.casefold() in seen:
            r.fail(here, f"{show(name)} is listed twice (first at [{seen[name.casefold()]}])")
        else:
            seen[name.casefold()] = n
            chosen.append(name)
    if len(chosen) < needed:
        r.fail(where, f"has {len(chosen)} usable name(s); at least {needed} are needed, one for each persona a "
                      f"participant meets (a dozen or more let the gallery's commenters vary)")
    return chosen


def _check_currency(r: _Reader, code: str | None, where: str) -> None:
    """An ISO 4217 code (its smallest step, e.g. no decimals for JPY, comes from the currency)."""
    from babel.numbers import list_currencies
    known = list_currencies()
    if isinstance(code, str) and code not in known:
        near = difflib.get_close_matches(code.upper(), sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        r.fail(where, f"{show(code)} is not an ISO 4217 currency code; {hint}for example GBP, EUR, JPY")


def _localize(d: StudyDefinition, language: str, seen=None) -> StudyDefinition:
    """Rebuild `d` with each text passed through the language's table (`seen` collects the originals)."""
    from dataclasses import replace
    table = d.text_table(language)

    def say(text: str) -> str:
        if seen is not None:
            seen(text)
        return table.get(text, text)

    def scale(x: Scale) -> Scale:
        return replace(x, low=say(x.low), high=say(x.high))

    def block(b: LikertBlock) -> LikertBlock:
        return LikertBlock(say(b.title), say(b.intro), scale(b.scale),
                           tuple(replace(i, text=say(i.text)) for i in b.items))

    ck, dm = d.checks, d.demographics
    out = replace(
        d, title=say(d.title), description=say(d.description), consent_text=say(d.consent_text),
        decline_text=say(d.decline_text),
        personas={r: tuple(replace(p, relation_label=say(p.relation_label)) for p in ps)
                  for r, ps in d.personas.items()},
        suggestions=replace(d.suggestions, text=tuple(say(t) for t in d.suggestions.text),
                            texts={k: say(v) for k, v in d.suggestions.texts.items()}),
        thinking_style=block(d.thinking_style), evaluation=block(d.evaluation),
        extra_blocks={k: block(b) for k, b in d.extra_blocks.items()},
        wtp=replace(d.wtp, text=say(d.wtp.text)), closeness_prompt=say(d.closeness_prompt),
        checks=replace(ck, title=say(ck.title), manipulation_text=say(ck.manipulation_text),
                       manipulation_scale=scale(ck.manipulation_scale),
                       attention=tuple(replace(a, text=say(a.text)) for a in ck.attention)),
        demographics=replace(dm, title=say(dm.title), intro=say(dm.intro), age_text=say(dm.age_text),
                             gender_text=say(dm.gender_text),
                             gender_options=tuple((k, say(label)) for k, label in dm.gender_options)),
    )
    # answer options of attention checks keep their (English) values; their labels are said here
    for a in ck.attention:
        for option in a.options:
            say(option)
    for attribute in d.catalogue().attributes:
        say(attribute.label)
        for level in attribute.levels:
            say(level.label)
            if level.phrase:
                say(level.phrase)
    object.__setattr__(out, "_say", say if language != "en" else None)
    return out


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
        if not isinstance(table, dict):
            r.fail(where, f"must be a table of \"English text\" = \"translation\" pairs, got {show(table)}")
            continue
        if len(table) > MAX_TRANSLATIONS:
            r.fail(where, f"has {len(table)} entries; at most {MAX_TRANSLATIONS}")
            continue
        pairs: dict[str, str] = {}
        for original, text in table.items():
            if not isinstance(text, str) or not text.strip():
                r.fail(f"{where}.{show(original)}", f"the translation must be non-empty text, got {show(text)}")
            elif len(text) > 20000:
                r.fail(f"{where}.{show(original)}", "the translation is longer than 20000 characters")
            else:
                pairs[original] = text
        out[code] = pairs
    return out


def _check_translated_texts(r: _Reader, definition: StudyDefinition) -> None:
    """Every translated original must be a text the study shows, so a typo cannot hide an English text."""
    if not definition.translations:
        return
    texts = definition.texts()
    known = set(texts)
    for code, table in definition.translations.items():
        for original in table:
            if original not in known:
                near = difflib.get_close_matches(original, texts, n=1, cutoff=0.6)
                hint = f"; did you mean {show(near[0])}?" if near else ""
                r.fail(f"translations.{code}", f"{show(original)} is not a text of this study{hint}")


BUILT_IN_BLOCKS = ("thinking_style", "evaluation")  # Likert blocks with their own StudyDefinition field


def _extra_likert_steps() -> list[steps.Step]:
    """Declared Likert questionnaire steps whose block lives in StudyDefinition.extra_blocks."""
    return [s for s in steps.all_steps() if s.page == "likert" and s.name not in BUILT_IN_BLOCKS]


def _from_stored(d: dict) -> StudyDefinition:
    """Inverse of asdict(): trusted input written by to_json()."""
    def likert(b: dict) -> LikertBlock:
        return LikertBlock(b["title"], b["intro"], Scale(**b["scale"]), tuple(Item(**i) for i in b["items"]))
    ck, sug, dm = d["checks"], d["suggestions"], d["demographics"]
    return StudyDefinition(
        slug=d["slug"], title=d["title"], description=d["description"], seed=d["seed"],
        time_limit_minutes=d["time_limit_minutes"], consent_text=d["consent_text"], decline_text=d["decline_text"],
        cells=tuple(Cell(**c) for c in d["cells"]),
        personas={k: tuple(Persona(**p) for p in v) for k, v in d["personas"].items()},
        suggestions=SuggestionPlan(**{**sug, "attributes": tuple(sug["attributes"]),
                                      "text": tuple([sug["text"]] if isinstance(sug["text"], str) else sug["text"]),
                                      "preferred": {k: tuple(v) for k, v in sug["preferred"].items()}}),
        flow=tuple(d["flow"]), thinking_style=likert(d["thinking_style"]), evaluation=likert(d["evaluation"]),
        wtp=Wtp(**d["wtp"]), closeness_prompt=d["closeness_prompt"],
        checks=Checks(ck["title"], ck["manipulation_key"], ck["manipulation_text"], Scale(**ck["manipulation_scale"]),
                      tuple(ChoiceCheck(a["key"], a["text"], tuple(a["options"]), a["expected"])
                            for a in ck["attention"])),
        demographics=Demographics(**{**dm, "gender_options": tuple(tuple(o) for o in dm["gender_options"])}),
        outcomes={k: Outcome(**v) for k, v in d["outcomes"].items()},
        catalogue_exclude=tuple(d["catalogue_exclude"]),
        catalogue_levels={k: tuple(v) for k, v in d["catalogue_levels"].items()},
        monogram=d["monogram"],  # versions stored before review_count was dropped still carry it
        extra_blocks={k: likert(b) for k, b in d.get("extra_blocks", {}).items()},
        monitor_outcome_by_cell=bool(d.get("monitor_outcome_by_cell", False)),
        languages=tuple(d.get("languages", ("en",))),
        recruitment=dict(d.get("recruitment", {})),
        time_extension_minutes=d.get("time_extension_minutes"),
        persona_pool={k: tuple((name, avatar) for name, avatar in v) for k, v in d.get("persona_pool", {}).items()},
        translations={k: dict(v) for k, v in d.get("translations", {}).items()},
    )


def load_study(path: str | Path) -> StudyDefinition:
    """Read and validate one study file; raise StudyFileError naming the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StudyFileError(str(path), [("(file)", "does not exist")]) from None
    except UnicodeDecodeError:
        raise StudyFileError(str(path), [("(file)", "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        raise StudyFileError(str(path), [("(syntax)", str(error))]) from None
    except RecursionError:
        raise StudyFileError(str(path), [("(file)", "is nested too deeply")]) from None
    return parse_study(data, source=str(path), base=path.parent)


def study_files() -> list[Path]:
    """Every study file shipped under experiments/ (instruments are not studies)."""
    return sorted(p for p in EXPERIMENTS_DIR.glob("*.toml"))
