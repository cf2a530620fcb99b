"""Reading, validating and excluding rows of the exported CSV files.

Everything is read as text first and parsed here, so that a bad cell can be reported
with its file, column and row instead of surfacing later as an obscure numeric error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0"})

# Scale ranges promised by the export; a value outside them means a broken file.
SCALE_RANGES: dict[str, tuple[float, float]] = {
    "holism": (1.0, 7.0),
    "conformity": (0.0, 1.0),
    "closeness": (1.0, 7.0),
    "evaluation": (1.0, 7.0),
}
BASE_COLUMNS = ("participant_id", "condition", "conformity", "closeness", "evaluation")
SUGGESTION_COLUMNS = ("participant_id", "attribute", "suggested_level", "adopted")
CONDITION_CODES = {"public": 1.0, "private": 0.0}


class InputError(Exception):
    """Bad input file; the message names the file, and where known the column and row."""

    def __init__(self, path, message: str, column: str | None = None, row: int | None = None):
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
    exclusions: dict = field(default_factory=dict)
    categorical: frozenset = frozenset()

    def input_info(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "n_rows": self.n_rows}


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_text_table(path) -> pd.DataFrame:
    """Read a CSV as stripped strings; no cell is interpreted yet."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty (no header and no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from None
    if table.shape[0] == 0:
        raise InputError(path, "the file has a header but no data rows")
    table.columns = [str(c).strip() for c in table.columns]
    for column in table.columns:
        table[column] = table[column].astype(object).map(lambda v: v.strip() if isinstance(v, str) else "")
    return table.reset_index(drop=True)


def require_columns(table: pd.DataFrame, path, columns) -> None:
    for column in columns:
        if column not in table.columns:
            found = ", ".join(table.columns)
            raise InputError(path, f"required column is missing (found: {found})", column=column)


def missing_mask(values: pd.Series) -> np.ndarray:
    return values.map(lambda v: v.lower() in MISSING_TOKENS).to_numpy(dtype=bool)


def parse_number(table: pd.DataFrame, column: str, path, bounds=None) -> pd.Series:
    """Parse a numeric column; empty cells become NaN, anything else unparseable is an error."""
    text = table[column]
    missing = missing_mask(text)
    numbers = pd.to_numeric(text.where(~missing, None), errors="coerce").astype(float)
    bad = ~missing & ~np.isfinite(numbers.to_numpy())
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"value {text.iloc[row]!r} is not a number", column, row + 1)
    if bounds is not None:
        low, high = bounds
        values = numbers.to_numpy()
        outside = ~missing & ((values < low) | (values > high))
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise InputError(
                path, f"value {values[row]:g} is outside the scale {low:g}-{high:g}", column, row + 1
            )
    return numbers


def parse_boolean(table: pd.DataFrame, column: str, path) -> pd.Series:
    """Parse true/false, True/False, 1/0, yes/no; empty cells become missing (None)."""
    parsed = []
    for row, value in enumerate(table[column]):
        token = value.lower()
        if token in MISSING_TOKENS:
            parsed.append(None)
        elif token in TRUE_TOKENS:
            parsed.append(True)
        elif token in FALSE_TOKENS:
            parsed.append(False)
        else:
            raise InputError(path, f"value {value!r} is not true/false", column, row + 1)
    return pd.Series(parsed, index=table.index, dtype=object)


def parse_auto(table: pd.DataFrame, column: str, path) -> tuple[pd.Series, bool]:
    """Numeric if every non-empty cell is a number, otherwise categorical text.

    Returns the parsed column and whether it is categorical.
    """
    text = table[column]
    missing = missing_mask(text)
    numbers = pd.to_numeric(text.where(~missing, None), errors="coerce").astype(float)
    if np.isfinite(numbers.to_numpy()[~missing]).all():
        return numbers, False
    labels = text.astype(object).where(~missing, None)
    return labels, True


def parse_condition(table: pd.DataFrame, path) -> pd.Series:
    """Code the condition as public = 1, private = 0; empty cells are missing."""
    codes = []
    for row, value in enumerate(table["condition"]):
        token = value.lower()
        if token in MISSING_TOKENS:
            codes.append(np.nan)
        elif token in CONDITION_CODES:
            codes.append(CONDITION_CODES[token])
        else:
            raise InputError(
                path, f"condition {value!r} is neither 'public' nor 'private'", "condition", row + 1
            )
    return pd.Series(codes, index=table.index, dtype=float)


def read_participants(
    path,
    *,
    moderator: str = "holism",
    covariates=(),
    keep_failed_attention: bool = False,
) -> StudyData:
    """Read the participants export, validate it and apply the attention exclusion.

    ``moderator`` is H1's moderator (``holism`` by default, or e.g. ``culture``);
    a text moderator or covariate is kept as categorical and dummy-coded later.
    """
    path = Path(path)
    table = read_text_table(path)
    covariates = [c for c in covariates if c]
    require_columns(table, path, [*BASE_COLUMNS, moderator, *covariates])

    ids = table["participant_id"]
    empty_id = missing_mask(ids)
    if empty_id.any():
        row = int(np.flatnonzero(empty_id)[0])
        raise InputError(path, "participant_id is empty", "participant_id", row + 1)
    duplicated = ids.duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise InputError(path, f"participant_id {ids.iloc[row]!r} appears twice", "participant_id", row + 1)

    data = pd.DataFrame({"participant_id": ids.astype(object)})
    data["condition"] = table["condition"].astype(object)
    data["public"] = parse_condition(table, path)
    categorical = set()
    for column in ("conformity", "closeness", "evaluation", moderator, *covariates):
        if column in data.columns:
            continue
        if column in SCALE_RANGES:
            data[column] = parse_number(table, column, path, SCALE_RANGES[column])
        else:
            data[column], is_text = parse_auto(table, column, path)
            if is_text:
                categorical.add(column)
    if "holism" in table.columns and "holism" not in data.columns:
        data["holism"] = parse_number(table, "holism", path, SCALE_RANGES["holism"])
    for column in ("n_suggestions", "n_adopted"):
        if column in table.columns:
            data[column] = parse_number(table, column, path, (0, np.inf))
    if {"n_suggestions", "n_adopted"} <= set(data.columns):
        too_many = (data["n_adopted"] > data["n_suggestions"]).to_numpy()
        if too_many.any():
            row = int(np.flatnonzero(too_many)[0])
            raise InputError(path, "n_adopted is larger than n_suggestions", "n_adopted", row + 1)

    n_input = len(data)
    exclusions = {"n_input": n_input, "attention_failed": 0, "attention_unknown": 0,
                  "kept_failed_attention": bool(keep_failed_attention)}
    data, exclusions["simulated"], exclusions["pilot"] = _drop_flagged(table, data, path)
    if "attention_passed" in table.columns:
        passed = parse_boolean(table, "attention_passed", path)
        passed = passed.loc[data.index]
        failed = passed.map(lambda v: v is False).astype(bool)
        exclusions["attention_failed"] = int(failed.sum())
        exclusions["attention_unknown"] = int(passed.isna().sum())
        data["attention_passed"] = passed
        if not keep_failed_attention:
            data = data.loc[~failed]
    exclusions["excluded"] = n_input - len(data)
    exclusions["n_analysed"] = len(data)
    return StudyData(
        data=data.reset_index(drop=True),
        path=str(path),
        sha256=file_sha256(path),
        n_rows=n_input,
        exclusions=exclusions,
        categorical=frozenset(categorical),
    )


def _drop_flagged(table: pd.DataFrame, data: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict, dict]:
    """Simulated and pilot rows mixed with real ones are left out, and counted.

    A file of only simulated (or only pilot) participants is analysed as it is: that is a
    pipeline check, and dropping every row would leave nothing to check.
    """
    report = {}
    for column in ("simulated", "pilot"):
        if column not in table.columns:
            report[column] = {"rows": 0, "excluded": 0}
            continue
        flagged = parse_boolean(table, column, path).map(lambda v: v is True).astype(bool)
        mixed = 0 < flagged.sum() < len(flagged)
        report[column] = {"rows": int(flagged.sum()), "excluded": int(flagged.sum()) if mixed else 0}
        if mixed:
            data = data.loc[~flagged.loc[data.index]]
    return data, report["simulated"], report["pilot"]


def read_suggestions(path) -> pd.DataFrame:
    """Read the suggestions export: one row per suggestion with a true/false ``adopted``."""
    path = Path(path)
    table = read_text_table(path)
    require_columns(table, path, SUGGESTION_COLUMNS)
    adopted = parse_boolean(table, "adopted", path)
    result = pd.DataFrame({
        "participant_id": table["participant_id"].astype(object),
        "attribute": table["attribute"].astype(object),
        "suggested_level": table["suggested_level"].astype(object),
        "adopted": adopted.map(lambda v: np.nan if v is None else float(v)).astype(float),
    })
    return result
