"""Reading, validating and excluding rows of the exported CSV files.

pandas' C parser reads the file once; a column it parses as numbers needs no further check,
and only columns left as text (ids, conditions, flags, and numeric columns with a stray word)
go through the text path here, so that a bad cell is reported with its file, column and row
instead of surfacing later as an obscure numeric error. Ids are always read as text (leading
zeros kept). Scale ranges come from the export's ``codebook.json`` next to the data when there is one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})
# The same tokens as pandas should see them, so a numeric column with empty cells stays numeric.
NA_VALUES = sorted({v for t in MISSING_TOKENS for v in (t, t.upper(), t.title())})
# Read as text whatever they look like: identifiers must keep leading zeros.
TEXT_COLUMNS = ("participant_id", "suggester_id", "condition")
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0"})

# Scale ranges assumed when the export's codebook does not state them.
SCALE_RANGES: dict[str, tuple[float, float]] = {
    "holism": (1.0, 7.0),
    "conformity": (0.0, 1.0),
    "closeness": (1.0, 7.0),
    "evaluation": (1.0, 7.0),
}
# Further study variables read as numbers when present (described in the report).
DESCRIBED_NUMBERS = ("wtp", "manipulation_check")
BASE_COLUMNS = ("participant_id", "condition", "conformity", "closeness", "evaluation")
SUGGESTION_COLUMNS = ("participant_id", "attribute", "suggested_level", "adopted")
CONDITION_CODES = {"public": 1.0, "private": 0.0}
# A column counts as numeric with a few text answers when at least this share of its
# non-empty cells are numbers; the text cells then become missing, and the report says so.
NUMERIC_SHARE = 0.5
RANGE_TEXT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[–-]\s*(-?\d+(?:\.\d+)?)")


class InputError(Exception):
    """Bad input file; the message names the file, and where known the column and row."""

    def __init__(self, path: str | Path, message: str, column: str | None = None, row: int | None = None):
        self.path = str(path)
        self.column = column
        self.row = row
        self.detail = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path]
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            # row counts data rows from 1; the line adds the header line.
            where.append(f"row {self.row} (line {self.row + 1})")
        return ", ".join(where) + ": " + self.detail


@dataclass
class StudyData:
    """Validated participants table plus what is needed to report where it came from."""

    data: pd.DataFrame
    path: str
    sha256: str
    n_rows: int
    exclusions: dict[str, Any] = field(default_factory=dict)
    categorical: frozenset[str] = frozenset()
    scales: dict[str, Any] = field(default_factory=dict)  # column -> {"range": [lo, hi], "source": ...}
    labels: dict[str, Any] = field(default_factory=dict)  # column -> codebook meaning (axis labels)
    text_as_missing: dict[str, Any] = field(default_factory=dict)  # column -> {"cells": k, "values": [...]}
    notes: list[str] = field(default_factory=list)

    def input_info(self) -> dict[str, Any]:
        info = {"path": self.path, "sha256": self.sha256, "n_rows": self.n_rows, "scales": self.scales}
        if self.notes:
            info["notes"] = list(self.notes)
        return info


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _first_ragged_row(path: Path, width: int) -> tuple[int, int] | None:
    """Data row (from 1) and field count of the first row whose width differs from the header."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, row in enumerate(reader, start=1):
            if row and len(row) != width:
                return number, len(row)
    return None


def read_text_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV as stripped strings; no cell is interpreted yet."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False,
                                na_values=NA_VALUES, encoding="utf-8-sig", index_col=False)
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty (no header and no rows)") from None
    except pd.errors.ParserError as exc:
        header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig").shape[1]
        ragged = _first_ragged_row(path, header)
        if ragged:
            raise InputError(path, f"row {ragged[0]} has {ragged[1]} fields but the header has {header} "
                                   "(a trailing delimiter or an unquoted comma?)", row=ragged[0]) from None
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    if table.shape[1] == 1 and ";" in str(table.columns[0]):
        raise InputError(path, "the file is semicolon-separated (as some spreadsheets save CSV); "
                               "save it comma-separated, as the platform exports it")
    # pandas drops a trailing empty field on every row silently when NA values are parsed,
    # so the first data row is also compared with the header (cheap: two lines).
    with open(path, newline="", encoding="utf-8-sig") as handle:
        head = list(zip(range(2), csv.reader(handle)))
    first_row_wider = len(head) == 2 and len(head[1][1]) > len(head[0][1])
    if first_row_wider or any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        ragged = _first_ragged_row(path, table.shape[1])
        where = f"row {ragged[0]} has {ragged[1]} fields" if ragged else "a row has more fields"
        raise InputError(path, f"{where} but the header has {table.shape[1]} "
                               "(a trailing delimiter or an unquoted comma?)",
                         row=ragged[0] if ragged else None)
    if table.shape[0] == 0:
        raise InputError(path, "the file has a header but no data rows")
    table.columns = [str(c).strip() for c in table.columns]
    for column in table.columns:
        if not is_parsed_number(table[column]):
            table[column] = table[column].fillna("").astype(str).str.strip()
    return table.reset_index(drop=True)


def is_parsed_number(values: pd.Series) -> bool:
    """A column the CSV parser already read as numbers (or true/false), so no cell can be bad."""
    return bool(pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


def as_text(values: pd.Series) -> pd.Series:
    """The column as stripped text; parsed numbers are written back (missing as '')."""
    if not is_parsed_number(values):
        return values
    return values.astype(object).where(values.notna(), "").astype(str)


def read_codebook(data_path: str | Path, codebook_path: str | Path | None = None) -> dict[str, Any]:
    """The codebook entries of the data file ({column: entry}), or {} when there is none."""
    data_path = Path(data_path)
    candidate = Path(codebook_path) if codebook_path else data_path.with_name("codebook.json")
    if not candidate.is_file():
        if codebook_path:
            raise InputError(candidate, "codebook file not found")
        return {}
    try:
        book = json.loads(candidate.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(candidate, f"not a readable codebook ({exc})") from None
    files = book.get("files", {}) if isinstance(book, dict) else {}
    entries = files.get(data_path.name) or next(
        (v for k, v in files.items() if Path(k).stem == data_path.stem), None) or []
    return {e["name"]: e for e in entries if isinstance(e, dict) and "name" in e}


def codebook_range(entry: dict[str, Any]) -> tuple[float, float] | None:
    """A numeric column's range from its codebook entry: ``range`` or a leading 'lo–hi' in ``values``."""
    given = entry.get("range")
    if isinstance(given, (list, tuple)) and len(given) == 2:
        try:
            return float(given[0]), float(given[1])
        except (TypeError, ValueError):
            return None
    match = RANGE_TEXT.match(str(entry.get("values", "")))
    if match:
        return float(match.group(1)), float(match.group(2))
    return None


def scale_ranges(codebook: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """Range and its source for each scale column: the codebook when it states one, else the default."""
    scales = {}
    for column in columns:
        found = codebook_range(codebook[column]) if column in codebook else None
        if found is not None:
            scales[column] = {"range": list(found), "source": "codebook"}
        elif column in SCALE_RANGES:
            scales[column] = {"range": list(SCALE_RANGES[column]), "source": "default (no codebook range)"}
    return scales


def require_columns(table: pd.DataFrame, path: str | Path, columns: Iterable[str]) -> None:
    for column in columns:
        if column not in table.columns:
            found = ", ".join(table.columns)
            raise InputError(path, f"required column is missing (found: {found})", column=column)


def missing_mask(values: pd.Series) -> np.ndarray:
    if is_parsed_number(values):
        missing: np.ndarray = values.isna().to_numpy(dtype=bool)
        return missing
    tokens: np.ndarray = values.str.lower().isin(MISSING_TOKENS).to_numpy(dtype=bool)
    return tokens


def _to_numbers(text: pd.Series, missing: np.ndarray) -> np.ndarray:
    if is_parsed_number(text):
        numbers: np.ndarray = text.to_numpy(dtype=float, na_value=np.nan)
        return numbers
    parsed: np.ndarray = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(dtype=float)
    return parsed


def parse_number(table: pd.DataFrame, column: str, path: str | Path,
                 bounds: tuple[float, float] | None = None) -> pd.Series:
    """Parse a numeric column; empty cells become NaN, anything else unparseable is an error."""
    text = table[column]
    missing = missing_mask(text)
    values = _to_numbers(text, missing)
    bad = ~missing & ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"value {text.iloc[row]!r} is not a number", column, row + 1)
    if bounds is not None:
        low, high = bounds
        outside = ~missing & ((values < low) | (values > high))
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise InputError(
                path, f"value {values[row]:g} is outside the scale {low:g}-{high:g}", column, row + 1
            )
    return pd.Series(values, index=table.index, dtype=float)


def parse_boolean(table: pd.DataFrame, column: str, path: str | Path) -> pd.Series:
    """Parse true/false, True/False, 1/0, yes/no; empty cells become missing (None)."""
    tokens = as_text(table[column]).str.lower()
    is_true = tokens.isin(TRUE_TOKENS).to_numpy()
    is_false = tokens.isin(FALSE_TOKENS).to_numpy()
    is_missing = tokens.isin(MISSING_TOKENS).to_numpy()
    bad = ~(is_true | is_false | is_missing)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"value {table[column].iloc[row]!r} is not true/false", column, row + 1)
    parsed = np.full(len(tokens), None, dtype=object)
    parsed[is_true] = True
    parsed[is_false] = False
    return pd.Series(parsed, index=table.index, dtype=object)


def true_mask(values: pd.Series) -> np.ndarray:
    """Cells of a parsed boolean column that are True (missing counts as not True)."""
    flags: np.ndarray = (values == True).to_numpy(dtype=bool)  # noqa: E712 - object column of True/False/None
    return flags


def parse_auto(table: pd.DataFrame, column: str,
               path: str | Path) -> tuple[pd.Series, bool, dict[str, Any] | None]:
    """Numeric if (nearly) every non-empty cell is a number, otherwise categorical text.

    Returns the parsed column, whether it is categorical, and for a numeric column with a few
    text answers ("prefer not to say") which cells were turned into missing values.
    """
    text = table[column]
    missing = missing_mask(text)
    values = _to_numbers(text, missing)
    present = ~missing
    numeric = present & np.isfinite(values)
    if numeric.sum() == present.sum():
        return pd.Series(values, index=table.index, dtype=float), False, None
    if present.any() and numeric.sum() >= NUMERIC_SHARE * present.sum():
        texts = present & ~numeric
        dropped = {"cells": int(texts.sum()), "values": sorted(set(text[texts]))[:10],
                   "first_row": int(np.flatnonzero(texts)[0]) + 1}
        return pd.Series(values, index=table.index, dtype=float), False, dropped
    labels = text.astype(object).where(~missing, None)
    return labels, True, None


def parse_condition(table: pd.DataFrame, path: str | Path) -> pd.Series:
    """Code the condition as public = 1, private = 0; empty cells are missing."""
    tokens = as_text(table["condition"]).str.lower()
    codes = tokens.map(CONDITION_CODES).to_numpy(dtype=float)
    bad = np.isnan(codes) & ~tokens.isin(MISSING_TOKENS).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = table["condition"].iloc[row]
        raise InputError(path, f"condition {value!r} is neither 'public' nor 'private'", "condition", row + 1)
    return pd.Series(codes, index=table.index, dtype=float)


def read_participants(
    path: str | Path,
    *,
    moderator: str = "holism",
    covariates: Sequence[str] = (),
    keep_failed_attention: bool = False,
    codebook: str | Path | None = None,
) -> StudyData:
    """Read the participants export, validate it and apply the attention exclusion.

    ``moderator`` is H1's moderator (``holism`` by default, or e.g. ``culture``);
    a text moderator or covariate is kept as categorical and dummy-coded later.
    ``codebook`` is a codebook.json path (default: the one next to the data, if any).
    """
    path = Path(path)
    table = read_text_table(path)
    covariates = [c for c in covariates if c]
    require_columns(table, path, [*BASE_COLUMNS, moderator, *covariates])
    book = read_codebook(path, codebook)

    ids = _checked_ids(table, path)

    scale_columns = [c for c in dict.fromkeys(["holism", *BASE_COLUMNS[2:], moderator, *covariates,
                                               *DESCRIBED_NUMBERS]) if c in table.columns]
    scales = scale_ranges(book, scale_columns)
    data = pd.DataFrame({"participant_id": ids.astype(object)})
    data["condition"] = table["condition"].astype(object)
    data["public"] = parse_condition(table, path)
    categorical, text_as_missing = _read_model_columns(table, data, path, scales, (moderator, *covariates))
    if "holism" in table.columns and "holism" not in data.columns:
        data["holism"] = parse_number(table, "holism", path, tuple(scales["holism"]["range"]))
    for column in DESCRIBED_NUMBERS:
        if column in table.columns and column not in data.columns:
            values, is_text, dropped = parse_auto(table, column, path)
            if not is_text:
                data[column] = values
                if dropped:
                    text_as_missing[column] = dropped
    _read_counts(table, data, path)
    # Per-suggester closeness items (ios_<persona>) for the suggestion-level models.
    for column in table.columns:
        if column.startswith("ios_") and column not in data.columns:
            values, is_text, _ = parse_auto(table, column, path)
            if not is_text:
                data[column] = values

    notes = []
    for column, dropped in text_as_missing.items():
        notes.append(f"{column}: {dropped['cells']} text cell(s) in a numeric column treated as missing "
                     f"(first at row {dropped['first_row']}; values: {', '.join(map(repr, dropped['values']))})")
    defaulted = [c for c, s in scales.items() if s["source"] != "codebook" and c in data.columns]
    if defaulted:
        notes.append("scale ranges assumed, not read from a codebook: " + ", ".join(
            f"{c} {scales[c]['range'][0]:g}-{scales[c]['range'][1]:g}" for c in defaulted))

    n_input = len(data)
    data, exclusions = _apply_exclusions(table, data, path, keep_failed_attention)
    return StudyData(
        data=data.reset_index(drop=True),
        path=str(path),
        sha256=file_sha256(path),
        n_rows=n_input,
        exclusions=exclusions,
        categorical=frozenset(categorical),
        scales=scales,
        labels={name: entry.get("meaning", "") for name, entry in book.items()},
        text_as_missing=text_as_missing,
        notes=notes,
    )


def _checked_ids(table: pd.DataFrame, path: Path) -> pd.Series:
    """The participant ids, refused when one is empty or appears twice."""
    ids = table["participant_id"]
    empty_id = missing_mask(ids)
    if empty_id.any():
        row = int(np.flatnonzero(empty_id)[0])
        raise InputError(path, "participant_id is empty", "participant_id", row + 1)
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise InputError(path, f"participant_id {ids.iloc[row]!r} appears twice", "participant_id", row + 1)
    return ids


def _read_model_columns(table: pd.DataFrame, data: pd.DataFrame, path: Path, scales: dict[str, Any],
                        extra: tuple[str, ...]) -> tuple[set[str], dict[str, Any]]:
    """The outcomes, the moderator and the covariates into `data`: numbers on a known scale, else auto-typed.

    Returns the columns kept as categorical and, per column, the text cells read as missing.
    """
    categorical = set()
    text_as_missing = {}
    for column in ("conformity", "closeness", "evaluation", *extra):
        if column in data.columns:
            continue
        if column in SCALE_RANGES or column in scales:
            data[column] = parse_number(table, column, path, tuple(scales[column]["range"]))
        else:
            data[column], is_text, dropped = parse_auto(table, column, path)
            if is_text:
                categorical.add(column)
            if dropped:
                text_as_missing[column] = dropped
    return categorical, text_as_missing


def _read_counts(table: pd.DataFrame, data: pd.DataFrame, path: Path) -> None:
    """n_suggestions and n_adopted into `data`; more adopted than received is refused."""
    for column in ("n_suggestions", "n_adopted"):
        if column in table.columns:
            data[column] = parse_number(table, column, path, (0, np.inf))
    if {"n_suggestions", "n_adopted"} <= set(data.columns):
        too_many = (data["n_adopted"] > data["n_suggestions"]).to_numpy()
        if too_many.any():
            row = int(np.flatnonzero(too_many)[0])
            raise InputError(path, "n_adopted is larger than n_suggestions", "n_adopted", row + 1)


def _apply_exclusions(table: pd.DataFrame, data: pd.DataFrame, path: Path,
                      keep_failed_attention: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Drop flagged (simulated, pilot) rows and, unless kept, failed attention; count what was dropped."""
    n_input = len(data)
    exclusions: dict[str, Any] = {"n_input": n_input, "attention_failed": 0, "attention_unknown": 0,
                  "kept_failed_attention": bool(keep_failed_attention)}
    data, exclusions["simulated"], exclusions["pilot"] = _drop_flagged(table, data, path)
    if "attention_passed" in table.columns:
        passed = parse_boolean(table, "attention_passed", path)
        passed = passed.loc[data.index]
        failed = (passed == False).to_numpy(dtype=bool)  # noqa: E712
        exclusions["attention_failed"] = int(failed.sum())
        exclusions["attention_unknown"] = int(passed.isna().sum())
        data["attention_passed"] = passed
        if not keep_failed_attention:
            data = data.loc[~failed]
    exclusions["excluded"] = n_input - len(data)
    exclusions["n_analysed"] = len(data)
    return data, exclusions


def _drop_flagged(table: pd.DataFrame, data: pd.DataFrame,
                  path: Path) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """Simulated and pilot rows mixed with real ones are left out, and counted.

    A file of only simulated (or only pilot) participants is analysed as it is: that is a
    pipeline check, and dropping every row would leave nothing to check.
    """
    report = {}
    for column in ("simulated", "pilot"):
        if column not in table.columns:
            report[column] = {"rows": 0, "excluded": 0}
            continue
        flagged = true_mask(parse_boolean(table, column, path))
        mixed = 0 < flagged.sum() < len(flagged)
        report[column] = {"rows": int(flagged.sum()), "excluded": int(flagged.sum()) if mixed else 0}
        if mixed:
            data = data.loc[~flagged[data.index.to_numpy()]]
    return data, report["simulated"], report["pilot"]


SUGGESTION_EXTRAS = ("position", "source", "suggester_id", "persona", "relation")


def read_suggestions(path: str | Path) -> pd.DataFrame:
    """Read the suggestions export: one row per suggestion with a true/false ``adopted``."""
    path = Path(path)
    table = read_text_table(path)
    require_columns(table, path, SUGGESTION_COLUMNS)
    adopted = parse_boolean(table, "adopted", path)
    result = pd.DataFrame({
        "participant_id": table["participant_id"].astype(object),
        "attribute": table["attribute"].astype(object),
        "suggested_level": table["suggested_level"].astype(object),
        "adopted": np.where(adopted.isna().to_numpy(), np.nan, true_mask(adopted).astype(float)),
    })
    for column in SUGGESTION_EXTRAS:
        if column in table.columns:
            result[column] = table[column].astype(object)
    return result
