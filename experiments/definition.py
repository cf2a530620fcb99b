"""A study as data: load a TOML study file, validate it, and expose a typed definition.

Every error names the file, the key, the bad value and what is allowed, and all errors
of a file are reported at once, so a researcher fixes a file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webapp.domain.catalogue import Catalogue, CatalogueError, shirt_catalogue

EXPERIMENTS_DIR = Path(__file__).resolve().parent

VISIBILITIES = ("public", "private")
STEPS_REQUIRED = ("consent", "design", "suggestions", "revise")
STEPS_KNOWN = (
    "consent", "thinking_style", "design", "review", "suggestions", "revise",
    "closeness", "evaluation", "checks", "demographics",
)
RULES = ("random", "adjacent", "preferred")
SOURCES = ("scripted", "peer", "mix")
OUTCOMES = ("completed", "declined", "attention_failed", "timed_out", "full", "duplicate")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
DEFAULT_FLOW = (
    "consent", "thinking_style", "design", "suggestions", "revise",
    "closeness", "evaluation", "checks", "demographics",
)


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
    review_count: int = 1

    @property
    def visibilities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.visibility for c in self.cells))

    @property
    def relations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.relation for c in self.cells))

    def catalogue(self) -> Catalogue:
        return shirt_catalogue().restrict(self.catalogue_exclude, self.catalogue_levels, self.monogram)

    def cell(self, key: str) -> Cell:
        for cell in self.cells:
            if cell.key == key:
                return cell
        raise KeyError(key)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "StudyDefinition":
        """Rebuild a stored version (the database keeps each version as JSON)."""
        return parse_study(json.loads(text), source="<stored>", _stored=True)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()


# ---------------------------------------------------------------- validation
class _Reader:
    """Reads keys from nested tables and remembers every problem with its dotted key."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def get(self, table: dict, key: str, path: str, kind: type | tuple, default: Any = ..., *,
            allowed: tuple | None = None, low: float | None = None, high: float | None = None) -> Any:
        where = f"{path}.{key}" if path else key
        if not isinstance(table, dict) or key not in table:
            if default is ...:
                self.fail(where, "is required")
                return None
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds) or (float in kinds and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            names = " or ".join(k.__name__.replace("str", "text").replace("int", "whole number") for k in kinds)
            self.fail(where, f"must be {names}, got {value!r}")
            return default if default is not ... else None
        if allowed is not None and value not in allowed:
            self.fail(where, f"{value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
            return default if default is not ... else None
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(where, f"must be between {low} and {high}, got {value!r}")
            return default if default is not ... else None
        return value


def _load_instrument(reader: _Reader, table: dict, path: str, default_file: str, base: Path) -> dict:
    """A questionnaire block comes inline or from `instrument = "file.toml"` (default shipped)."""
    name = table.get("instrument", default_file) if isinstance(table, dict) else default_file
    merged: dict = {}
    file = (base / name) if not Path(name).is_absolute() else Path(name)
    if not file.is_file():
        file = EXPERIMENTS_DIR / name
    try:
        merged = tomllib.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        reader.fail(f"{path}.instrument", f"file {name!r} not found (looked in {base} and {EXPERIMENTS_DIR})")
    except tomllib.TOMLDecodeError as error:
        reader.fail(f"{path}.instrument", f"{name} is not valid TOML: {error}")
    if isinstance(table, dict):
        merged.update({k: v for k, v in table.items() if k != "instrument"})
    return merged


def _scale(reader: _Reader, raw: dict, path: str) -> Scale:
    raw = raw if isinstance(raw, dict) else {}
    lo = reader.get(raw, "min", path, int, 1, low=0, high=10)
    hi = reader.get(raw, "max", path, int, 7, low=2, high=11)
    if lo is not None and hi is not None and hi <= lo:
        reader.fail(f"{path}.max", f"must be above min ({lo})")
    return Scale(lo or 1, hi or 7, reader.get(raw, "low", path, str, "Strongly disagree"),
                 reader.get(raw, "high", path, str, "Strongly agree"))


def _likert(reader: _Reader, raw: dict, path: str) -> LikertBlock:
    scale = _scale(reader, raw.get("scale", {}), f"{path}.scale")
    items = []
    seen = set()
    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        reader.fail(f"{path}.items", "needs at least one item")
        raw_items = []
    for n, entry in enumerate(raw_items):
        where = f"{path}.items[{n}]"
        key = reader.get(entry, "key", where, str)
        if key in seen:
            reader.fail(f"{where}.key", f"duplicate item key {key!r}")
        seen.add(key)
        attention = reader.get(entry, "attention", where, int, None, low=scale.min, high=scale.max)
        items.append(Item(key or "", reader.get(entry, "text", where, str) or "",
                          reader.get(entry, "facet", where, str, ""),
                          reader.get(entry, "reverse", where, bool, False), attention))
    if raw_items and not any(i.attention is None for i in items):
        reader.fail(f"{path}.items", "needs at least one scored (non-attention) item")
    return LikertBlock(reader.get(raw, "title", path, str, ""), reader.get(raw, "intro", path, str, ""),
                       scale, tuple(items))


def _outcomes(reader: _Reader, raw: dict) -> dict[str, Outcome]:
    result = {}
    if not isinstance(raw, dict):
        reader.fail("completion", "must be a table")
        raw = {}
    for name, entry in raw.items():
        if name not in OUTCOMES:
            reader.fail(f"completion.{name}", f"unknown outcome; allowed: {', '.join(OUTCOMES)}")
            continue
        code = reader.get(entry, "code", f"completion.{name}", str, "")
        url = reader.get(entry, "redirect", f"completion.{name}", str, "")
        if url and not url.startswith("https://"):
            reader.fail(f"completion.{name}.redirect", f"must be an https:// address, got {url!r}")
            url = ""
        if "{code}" in url:
            url = url.replace("{code}", code)
        result[name] = Outcome(code, url)
    if "completed" not in result:
        reader.fail("completion.completed", "is required (the code shown when a participant finishes)")
    return result


def parse_study(data: dict, source: str = "<memory>", base: Path | None = None, _stored: bool = False) -> StudyDefinition:
    """Validate a parsed TOML (or stored JSON) mapping into a StudyDefinition."""
    if _stored:
        return _from_stored(data)
    base = base or EXPERIMENTS_DIR
    r = _Reader(source)
    study = data.get("study", {})
    if not isinstance(study, dict):
        r.fail("study", "must be a table")
        study = {}
    slug = r.get(study, "slug", "study", str)
    if slug is not None and not SLUG_RE.match(slug):
        r.fail("study.slug", f"{slug!r} must be 2–40 characters of a–z, 0–9 and '-', starting with a letter or digit")
    title = r.get(study, "title", "study", str)
    seed = r.get(study, "seed", "study", int, 1, low=0, high=2**62)
    time_limit = r.get(study, "time_limit_minutes", "study", int, 60, low=5, high=24 * 60)

    consent = data.get("consent", {})
    consent_text = r.get(consent, "text", "consent", str)
    decline_text = r.get(consent, "decline_text", "consent", str,
                         "You chose not to take part. Please return your submission on the recruiting site.")

    # personas per relation
    personas: dict[str, tuple[Persona, ...]] = {}
    raw_personas = data.get("personas", {})
    if not isinstance(raw_personas, dict) or not raw_personas:
        r.fail("personas", "needs at least one relation, e.g. [[personas.friend]]")
        raw_personas = {}
    for relation, entries in raw_personas.items():
        if not isinstance(entries, list) or not entries:
            r.fail(f"personas.{relation}", "must be a list of tables ([[personas.%s]])" % relation)
            continue
        keys = set()
        people = []
        for n, entry in enumerate(entries):
            where = f"personas.{relation}[{n}]"
            key = r.get(entry, "key", where, str)
            if key in keys:
                r.fail(f"{where}.key", f"duplicate persona key {key!r}")
            keys.add(key)
            people.append(Persona(key or "", r.get(entry, "name", where, str) or "",
                                  r.get(entry, "avatar", where, str, "circle"),
                                  r.get(entry, "relation_label", where, str, relation)))
        personas[relation] = tuple(people)

    # factors and cells
    factors = data.get("factors", {})
    visibilities = r.get(factors, "visibility", "factors", list, list(VISIBILITIES))
    for v in visibilities or []:
        if v not in VISIBILITIES:
            r.fail("factors.visibility", f"{v!r} is not allowed; choose from {', '.join(VISIBILITIES)}")
    relations = r.get(factors, "relation", "factors", list, list(personas)[:1])
    for rel in relations or []:
        if rel not in personas:
            r.fail("factors.relation", f"{rel!r} has no personas; defined: {', '.join(personas) or 'none'}")
    target = r.get(factors, "target_n_per_cell", "factors", int, 50, low=1, high=100000)
    cells = tuple(Cell(v, rel, target or 50) for v in (visibilities or []) if v in VISIBILITIES
                  for rel in (relations or []) if rel in personas)
    if not cells:
        r.fail("factors", "no cells: give at least one visibility and one relation")

    # catalogue restriction
    cat = data.get("catalogue", {})
    exclude = tuple(r.get(cat, "exclude", "catalogue", list, []) or [])
    levels = r.get(cat, "levels", "catalogue", dict, {}) or {}
    monogram = r.get(cat, "monogram", "catalogue", bool, True)
    try:
        restricted = shirt_catalogue().restrict(exclude, levels, monogram)
    except CatalogueError as error:
        r.fail("catalogue", str(error))
        restricted = shirt_catalogue()

    # suggestions
    sug = data.get("suggestions", {})
    count = r.get(sug, "count", "suggestions", int, 3, low=1, high=10)
    attributes = r.get(sug, "attributes", "suggestions", list, list(restricted.keys))
    for a in attributes or []:
        if a not in restricted:
            r.fail("suggestions.attributes", f"{a!r} is not offered; allowed: {', '.join(restricted.keys)}")
        elif len(restricted.attribute(a).levels) < 2:
            r.fail("suggestions.attributes", f"{a!r} has a single level in this study, so nothing can be suggested")
    if attributes is not None and count is not None and len(set(attributes)) < count:
        r.fail("suggestions.count", f"{count} suggestions need at least {count} distinct attributes, got {len(set(attributes))}")
    rule = r.get(sug, "rule", "suggestions", str, "random", allowed=RULES)
    preferred_raw = r.get(sug, "preferred", "suggestions", dict, {}) or {}
    preferred = {}
    for a, lv in preferred_raw.items():
        if a not in restricted:
            r.fail(f"suggestions.preferred.{a}", "unknown attribute")
            continue
        bad = [x for x in lv if x not in restricted.attribute(a).level_keys]
        if bad:
            r.fail(f"suggestions.preferred.{a}", f"unknown level(s) {bad}; allowed: {', '.join(restricted.attribute(a).level_keys)}")
        preferred[a] = tuple(lv)
    if rule == "preferred":
        for a in attributes or []:
            if a not in preferred:
                r.fail(f"suggestions.preferred.{a}", "rule 'preferred' needs a list of levels for every suggested attribute")
    text = r.get(sug, "text", "suggestions", (str, list), "Nice shirt! How about {suggestion}?")
    wordings = tuple([text] if isinstance(text, str) else (text or []))
    if not wordings or not all(isinstance(w, str) and "{suggestion}" in w for w in wordings):
        r.fail("suggestions.text", "must be a text, or a list of texts, each containing {suggestion} "
                                   "where the proposed change goes")
    texts = r.get(sug, "texts", "suggestions", dict, {}) or {}
    for a, t in texts.items():
        if a not in restricted:
            r.fail(f"suggestions.texts.{a}", "unknown attribute")
    source_kind = r.get(sug, "source", "suggestions", str, "scripted", allowed=SOURCES)
    wait = r.get(sug, "peer_wait_seconds", "suggestions", int, 0, low=0, high=3600)
    share = r.get(sug, "peer_share", "suggestions", float, 1.0 if source_kind == "peer" else 0.0, low=0, high=1)
    comment_max = r.get(sug, "comment_max_length", "suggestions", int, 200, low=0, high=1000)
    review_count = r.get(sug, "reviews_per_participant", "suggestions", int, 1, low=0, high=10)

    # questionnaires
    q = data.get("questionnaires", {})
    q = q if isinstance(q, dict) else {}
    ts = _likert(r, _load_instrument(r, q.get("thinking_style", {}), "questionnaires.thinking_style",
                                     "instruments/thinking_style.toml", base), "questionnaires.thinking_style")
    ev_raw = _load_instrument(r, q.get("evaluation", {}), "questionnaires.evaluation", "instruments/evaluation.toml", base)
    ev = _likert(r, ev_raw, "questionnaires.evaluation")
    wtp_raw = ev_raw.get("wtp", {})
    wtp = Wtp(r.get(wtp_raw, "key", "questionnaires.evaluation.wtp", str, "wtp"),
              r.get(wtp_raw, "text", "questionnaires.evaluation.wtp", str, "How much would you pay for this shirt?"),
              r.get(wtp_raw, "currency", "questionnaires.evaluation.wtp", str, "GBP"),
              float(r.get(wtp_raw, "min", "questionnaires.evaluation.wtp", float, 0) or 0),
              float(r.get(wtp_raw, "max", "questionnaires.evaluation.wtp", float, 500) or 500))
    closeness_raw = q.get("closeness", {}) if isinstance(q.get("closeness", {}), dict) else {}
    closeness_prompt = r.get(closeness_raw, "prompt", "questionnaires.closeness", str,
                             "Which picture best describes how close you feel to {name}?")
    ck_raw = _load_instrument(r, q.get("checks", {}), "questionnaires.checks", "instruments/checks.toml", base)
    man = ck_raw.get("manipulation", {})
    attention = []
    for n, entry in enumerate(ck_raw.get("attention", []) or []):
        where = f"questionnaires.checks.attention[{n}]"
        options = tuple(r.get(entry, "options", where, list, []) or [])
        expected = r.get(entry, "expected", where, str)
        if expected is not None and expected not in options:
            r.fail(f"{where}.expected", f"{expected!r} is not one of the options {list(options)}")
        attention.append(ChoiceCheck(r.get(entry, "key", where, str) or "", r.get(entry, "text", where, str) or "",
                                     options, expected or ""))
    checks = Checks(ck_raw.get("title", "A few last questions"),
                    r.get(man, "key", "questionnaires.checks.manipulation", str, "mc_visibility"),
                    r.get(man, "text", "questionnaires.checks.manipulation", str),
                    _scale(r, man.get("scale", {}), "questionnaires.checks.manipulation.scale"),
                    tuple(attention))
    dm = _load_instrument(r, q.get("demographics", {}), "questionnaires.demographics", "instruments/demographics.toml", base)
    age, gender = dm.get("age", {}), dm.get("gender", {})
    demographics = Demographics(
        dm.get("title", "About you (optional)"), dm.get("intro", ""),
        r.get(age, "text", "questionnaires.demographics.age", str, "Your age"),
        r.get(age, "min", "questionnaires.demographics.age", int, 18),
        r.get(age, "max", "questionnaires.demographics.age", int, 100),
        r.get(gender, "text", "questionnaires.demographics.gender", str, "Your gender"),
        tuple((o["key"], o["label"]) for o in gender.get("options", []) if isinstance(o, dict) and "key" in o and "label" in o),
    )

    # flow
    flow = tuple(r.get(data.get("flow", {}), "steps", "flow", list, list(DEFAULT_FLOW)) or DEFAULT_FLOW)
    for step in flow:
        if step not in STEPS_KNOWN:
            r.fail("flow.steps", f"unknown step {step!r}; known steps: {', '.join(STEPS_KNOWN)}")
    for step in STEPS_REQUIRED:
        if step not in flow:
            r.fail("flow.steps", f"must include {step!r}")
    if len(set(flow)) != len(flow):
        r.fail("flow.steps", "a step appears twice")
    if flow and flow[0] != "consent":
        r.fail("flow.steps", "must start with 'consent'")
    order = {s: i for i, s in enumerate(flow)}
    for before, after in (("design", "suggestions"), ("suggestions", "revise"), ("design", "review"),
                          ("review", "suggestions"), ("suggestions", "closeness"), ("revise", "evaluation")):
        if before in order and after in order and order[before] > order[after]:
            r.fail("flow.steps", f"{before!r} must come before {after!r}")
    if source_kind in ("peer", "mix") and "review" not in flow:
        r.fail("flow.steps", f"suggestion source {source_kind!r} needs a 'review' step between 'design' and 'suggestions'")

    outcomes = _outcomes(r, data.get("completion", {}))
    for key in data:
        if key not in ("study", "consent", "factors", "personas", "catalogue", "suggestions",
                       "questionnaires", "flow", "completion"):
            r.fail(key, "unknown section; allowed: study, consent, factors, personas, catalogue, "
                        "suggestions, questionnaires, flow, completion")
    if r.problems:
        raise StudyFileError(source, r.problems)
    return StudyDefinition(
        slug=slug, title=title, description=study.get("description", ""), seed=seed,
        time_limit_minutes=time_limit, consent_text=consent_text, decline_text=decline_text,
        cells=cells, personas=personas,
        suggestions=SuggestionPlan(count, tuple(attributes), rule, preferred, wordings, dict(texts), source_kind,
                                   wait, float(share), comment_max),
        flow=flow, thinking_style=ts, evaluation=ev, wtp=wtp, closeness_prompt=closeness_prompt,
        checks=checks, demographics=demographics, outcomes=outcomes,
        catalogue_exclude=exclude, catalogue_levels={k: tuple(v) for k, v in levels.items()},
        monogram=monogram, review_count=review_count,
    )


def _from_stored(d: dict) -> StudyDefinition:
    """Inverse of asdict(): trusted input written by to_json()."""
    def likert(b):
        return LikertBlock(b["title"], b["intro"], Scale(**b["scale"]), tuple(Item(**i) for i in b["items"]))
    ck = d["checks"]
    return StudyDefinition(
        slug=d["slug"], title=d["title"], description=d["description"], seed=d["seed"],
        time_limit_minutes=d["time_limit_minutes"], consent_text=d["consent_text"], decline_text=d["decline_text"],
        cells=tuple(Cell(**c) for c in d["cells"]),
        personas={k: tuple(Persona(**p) for p in v) for k, v in d["personas"].items()},
        suggestions=SuggestionPlan(**{**d["suggestions"], "attributes": tuple(d["suggestions"]["attributes"]),
                                      "text": tuple([d["suggestions"]["text"]] if isinstance(d["suggestions"]["text"], str)
                                                    else d["suggestions"]["text"]),
                                      "preferred": {k: tuple(v) for k, v in d["suggestions"]["preferred"].items()}}),
        flow=tuple(d["flow"]), thinking_style=likert(d["thinking_style"]), evaluation=likert(d["evaluation"]),
        wtp=Wtp(**d["wtp"]), closeness_prompt=d["closeness_prompt"],
        checks=Checks(ck["title"], ck["manipulation_key"], ck["manipulation_text"], Scale(**ck["manipulation_scale"]),
                      tuple(ChoiceCheck(a["key"], a["text"], tuple(a["options"]), a["expected"]) for a in ck["attention"])),
        demographics=Demographics(**{**d["demographics"], "gender_options": tuple(tuple(o) for o in d["demographics"]["gender_options"])}),
        outcomes={k: Outcome(**v) for k, v in d["outcomes"].items()},
        catalogue_exclude=tuple(d["catalogue_exclude"]),
        catalogue_levels={k: tuple(v) for k, v in d["catalogue_levels"].items()},
        monogram=d["monogram"], review_count=d["review_count"],
    )


def load_study(path: str | Path) -> StudyDefinition:
    """Read and validate one study file; raise StudyFileError naming the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise StudyFileError(str(path), [("(file)", "does not exist")]) from None
    except tomllib.TOMLDecodeError as error:
        raise StudyFileError(str(path), [("(syntax)", str(error))]) from None
    return parse_study(data, source=str(path), base=path.parent)


def study_files() -> list[Path]:
    """Every study file shipped under experiments/ (instruments are not studies)."""
    return sorted(p for p in EXPERIMENTS_DIR.glob("*.toml"))
