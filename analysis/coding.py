"""Coding of categorical variables into design-matrix columns (dummy, sequential, Helmert, effect)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CODINGS = ("indicator", "sequential", "helmert", "effect")
# Prefix of the term names per coding: indicator keeps patsy's Treatment names (relation[T.stranger]).
CODING_PREFIX = {"indicator": "T", "sequential": "Seq", "helmert": "Helmert", "effect": "Sum"}


def is_categorical(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values)


def dummy_columns(values: pd.Series, name: str) -> tuple[list[str], np.ndarray, list[str]]:
    """Treatment (dummy) coding with the first sorted level as reference, patsy-style names."""
    levels = sorted(str(v) for v in pd.unique(values))
    labels = values.astype(str).to_numpy()
    matrix = np.column_stack([(labels == level).astype(float) for level in levels[1:]]) if len(levels) > 1 \
        else np.empty((len(values), 0))
    names = [f"{name}[T.{level}]" for level in levels[1:]]
    return names, matrix, levels


def coding_matrix(n_levels: int, coding: str) -> np.ndarray:
    """Rows: levels (sorted, first is the reference); columns: the k - 1 coded variables.

    indicator   level j vs the first level
    sequential  level j vs level j - 1 (PROCESS's sequential coding)
    helmert     the mean of the levels after level j minus level j (PROCESS's Helmert coding)
    effect      level j vs the unweighted mean of all levels (the first level coded -1)
    """
    k = n_levels
    if coding == "indicator":
        return np.vstack([np.zeros(k - 1), np.eye(k - 1)])
    if coding == "sequential":
        return np.tril(np.ones((k, k)), -1)[:, :k - 1]
    if coding == "helmert":
        matrix = np.zeros((k, k - 1))
        for j in range(k - 1):
            later = k - j - 1
            matrix[j, j] = -later / (later + 1)
            matrix[j + 1:, j] = 1.0 / (later + 1)
        return matrix
    if coding == "effect":
        return np.vstack([-np.ones(k - 1), np.eye(k - 1)])
    raise ValueError(f"coding must be one of {', '.join(CODINGS)}, not {coding!r}")


def coded_columns(values: pd.Series, name: str,
                  coding: str = "indicator") -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Columns of a categorical variable under a coding, with names and the coding matrix."""
    levels = sorted(str(v) for v in pd.unique(values))
    matrix = coding_matrix(len(levels), coding) if len(levels) > 1 else np.empty((1, 0))
    codes = pd.Categorical(values.astype(str), categories=levels).codes
    columns = matrix[codes]
    if coding == "helmert":
        names = [f"{name}[Helmert.{level}]" for level in levels[:-1]]
    else:
        names = [f"{name}[{CODING_PREFIX[coding]}.{level}]" for level in levels[1:]]
    return names, columns, levels, matrix

