"""The `[questionnaires]` section: Likert blocks, willingness to pay, closeness, checks, demographics.

Each block comes inline or from an instrument file; item keys become form field names, so they are
checked to be safe, not reserved and unique in the study.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from webapp.domain import columns

from .. import steps
from .localisation import _instrument_translations
from .parts import EXPERIMENTS_DIR, Checks, ChoiceCheck, Demographics, Item, LikertBlock, Scale, Wtp
from .reader import _entries, _Parsing, _Reader, show

# Form field names the questionnaire pages already use, and names a form class owns.
RESERVED_KEYS = frozenset({
    "csrf_token", "submit", "wtp", "age", "gender", "data", "errors", "meta", "form_errors", "validate",
    "validate_on_submit", "process", "populate_obj", "hidden_tag", "is_submitted", "extra_validators",
})


def _load_instrument(p: _Parsing, table: Any, path: str, default_file: str) -> dict:
    """A questionnaire block comes inline or from `instrument = "file.toml"` (default shipped).

    The file may carry its own `[translations.<code>]`, so a new instrument brings its texts in
    every language with it; they are kept in `p.instrument_texts`, below the study's own.
    """
    reader, base = p.r, p.base
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
    if "translations" in merged:
        _instrument_translations(reader, merged.pop("translations"), f"{path}.instrument ({name}): translations",
                                 p.instrument_texts)
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


def _questionnaires_section(p: _Parsing) -> None:
    """The built-in questionnaires; declared extra Likert steps follow the flow (`_extra_blocks_section`)."""
    r = p.r
    q = p.questionnaires = r.table(p.data, "questionnaires", "",
                                   ("thinking_style", "evaluation", "closeness", "checks", "demographics",
                                    *(s.name for s in _extra_likert_steps())))
    ts = "questionnaires.thinking_style"
    p.fields["thinking_style"] = _likert(
        r, _load_instrument(p, q.get("thinking_style", {}), ts, "instruments/thinking_style.toml"), ts, p.taken)
    ev = "questionnaires.evaluation"
    ev_raw = _load_instrument(p, q.get("evaluation", {}), ev, "instruments/evaluation.toml")
    p.fields["evaluation"] = _likert(r, ev_raw, ev, p.taken, extra=("wtp",))
    p.fields["wtp"] = _wtp(r, ev_raw)
    p.fields["closeness_prompt"] = _closeness_prompt(r, q)
    p.fields["checks"] = _checks(p)
    p.fields["demographics"] = _demographics(p)


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


def _checks(p: _Parsing) -> Checks:
    """The manipulation check and the attention checks with their expected answers."""
    r, taken = p.r, p.taken
    cp = "questionnaires.checks"
    ck_raw = _load_instrument(p, p.questionnaires.get("checks", {}), cp, "instruments/checks.toml")
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


def _demographics(p: _Parsing) -> Demographics:
    r = p.r
    dp = "questionnaires.demographics"
    dm = _load_instrument(p, p.questionnaires.get("demographics", {}), dp, "instruments/demographics.toml")
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


def _extra_blocks_section(p: _Parsing) -> None:
    """The blocks of declared Likert steps beyond the built-in ones, for the steps the flow has."""
    extra_blocks = {}
    for step in _extra_likert_steps():
        if step.name in p.fields["flow"]:
            where = f"questionnaires.{step.name}"
            raw = _load_instrument(p, p.questionnaires.get(step.name, {}), where, step.instrument)
            extra_blocks[step.name] = _likert(p.r, raw, where, p.taken)
    p.fields["extra_blocks"] = extra_blocks


def _check_currency(r: _Reader, code: str | None, where: str) -> None:
    """An ISO 4217 code (its smallest step, e.g. no decimals for JPY, comes from the currency)."""
    from babel.numbers import list_currencies
    known = list_currencies()
    if isinstance(code, str) and code not in known:
        near = difflib.get_close_matches(code.upper(), sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        r.fail(where, f"{show(code)} is not an ISO 4217 currency code; {hint}for example GBP, EUR, JPY")


BUILT_IN_BLOCKS = ("thinking_style", "evaluation")  # Likert blocks with their own StudyDefinition field


def _extra_likert_steps() -> list[steps.Step]:
    """Declared Likert questionnaire steps whose block lives in StudyDefinition.extra_blocks."""
    return [s for s in steps.all_steps() if s.page == "likert" and s.name not in BUILT_IN_BLOCKS]
