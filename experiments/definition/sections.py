"""`parse_study`: a study file's sections read in order into a StudyDefinition, or every problem raised.

The small sections (study, consent, catalogue, flow, completion, monitor, recruitment, translations)
live here; the larger ones have modules of their own (questionnaires, suggestions, personas).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from pathlib import Path

from webapp.domain import columns
from webapp.domain.catalogue import CatalogueError, shirt_catalogue

from .. import steps
from .localisation import _languages, _translations
from .model import StudyDefinition, _from_stored
from .parts import EXPERIMENTS_DIR, OUTCOMES, SLUG_RE, Outcome, StudyFileError
from .personas import _factors_section, _persona_pool_section, _personas_section
from .questionnaires import _extra_blocks_section, _questionnaires_section
from .reader import MAX_DEPTH, _depth, _Parsing, _Reader, show
from .suggestions import _suggestions_section

SECTIONS = ("study", "consent", "factors", "personas", "persona_pool", "catalogue", "suggestions", "questionnaires",
            "flow", "completion", "monitor", "recruitment", "translations")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]*$")


RECRUITMENT_DEFAULTS = {"panel": "prolific", "id_param": "PROLIFIC_PID", "session_param": "SESSION_ID",
                        "study_param": "STUDY_ID"}
PARAM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
PANEL_RE = re.compile(r"[a-z][a-z0-9_]{0,15}")


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
    return _with_instrument_texts(definition, parsing.instrument_texts)


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


def _completion_section(p: _Parsing) -> None:
    p.fields["outcomes"] = _outcomes(p.r, p.data)


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


def _monitor_section(p: _Parsing) -> None:
    monitor = p.r.table(p.data, "monitor", "", ("outcome_by_cell",))
    p.fields["monitor_outcome_by_cell"] = bool(p.r.get(monitor, "outcome_by_cell", "monitor", bool, False))


def _recruitment_section(p: _Parsing) -> None:
    p.fields["recruitment"] = _recruitment(p.r, p.data)


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


def _translations_section(p: _Parsing) -> None:
    p.fields["translations"] = _translations(p.r, p.data, p.fields.get("languages", ("en",)))


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


def _with_instrument_texts(definition: StudyDefinition, carried: dict[str, dict[str, str]]) -> StudyDefinition:
    """The study with its instruments' own translations below its `[translations]`.

    Only texts the study shows, in languages it lists, are kept, so a study that asks nothing
    of an instrument's translations keeps its fingerprint, and an instrument file may be
    translated into more languages or carry items a study overrides.
    """
    if not carried:
        return definition
    shown = set(definition.texts())
    merged = {code: dict(table) for code, table in definition.translations.items()}
    for code in definition.languages:
        extra = {o: t for o, t in carried.get(code, {}).items() if o in shown}
        if extra:  # the study's own come last, so they win
            merged[code] = {**extra, **merged.get(code, {})}
    if merged == definition.translations:
        return definition
    return dataclasses.replace(definition, translations=merged)


# The study file's sections in the order they are read (and their problems reported); see _Parsing.
_SECTION_PARSERS: tuple[Callable[[_Parsing], None], ...] = (
    _unknown_sections, _study_section, _consent_section, _personas_section, _factors_section, _catalogue_section,
    _suggestions_section, _questionnaires_section, _flow_section, _extra_blocks_section, _completion_section,
    _monitor_section, _recruitment_section, _persona_pool_section, _translations_section,
)
