"""Simple moderation (PROCESS Model 1) by OLS, and the two hypotheses as thin wrappers.

H1: conformity ~ public * holism    (thinking style x visibility -> conformity)
H2: evaluation ~ conformity * closeness   (conformity x closeness -> evaluation)

``fit_moderation`` works on any column names, so the published reference data sets go
through exactly the code path used for the study.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analysis.coding import CODING_PREFIX, CODINGS, coded_columns, coding_matrix, dummy_columns, is_categorical
from analysis.covariance import coefficient_covariance, normalize_cov_type
from analysis.ols import ols, r_squared, wald_f
from analysis.probing import (
    JN_TABLE_POINTS,
    PERCENTILE_LABELS,
    PROBE_CHOICES,
    conditional_effects,
    extrapolation_notes,
    holm_adjust,
    johnson_neyman,
    johnson_neyman_table,
    probe_points,
    slope_contrasts,
    t_test,
)

# The OLS primitives, the categorical coding and the probing helpers lived here before they got modules
# of their own; they stay importable from analysis.models.
__all__ = [
    "CENTER_CHOICES", "CODINGS", "CODING_PREFIX", "JN_TABLE_POINTS", "PERCENTILE_LABELS", "PROBE_CHOICES",
    "Column", "ModerationResult", "coded_columns", "coding_matrix", "conditional_effects", "dummy_columns",
    "extrapolation_notes", "fit_h1", "fit_h2", "fit_moderation", "holm_adjust", "is_categorical",
    "johnson_neyman_table", "ols", "probe_points", "r_squared", "should_center", "slope_contrasts", "wald_f",
]

CENTER_CHOICES = ("none", "all", "continuous")


@dataclass
class Column:
    """One design-matrix column: its statsmodels-style name and what it is."""

    name: str
    role: str  # intercept | focal | moderator | interaction | covariate
    level: str | None = None  # category level for dummy columns


@dataclass
class ModerationResult:
    """A fitted moderation model with everything needed to probe, plot and report it."""

    outcome: str
    focal: str
    moderator: str
    formula: str
    cov_type: str
    center: str
    alpha: float
    columns: list[Column]
    design: np.ndarray
    response: np.ndarray
    params: np.ndarray
    cov: np.ndarray
    df_resid: int
    r2: float
    mse: float
    model_f: float
    model_df: tuple[int, int]
    model_p: float
    interaction: dict[str, Any]
    conditional_effects: list[dict[str, Any]]
    johnson_neyman: dict[str, Any] | None
    n_missing: int
    focal_values: np.ndarray
    moderator_values: np.ndarray  # original units (labels if categorical)
    moderator_levels: list[str] | None  # categorical moderator levels, reference first
    centers: dict[str, Any]  # centring constants for focal / moderator columns
    covariate_means: np.ndarray
    bootstrap: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    coding: str = "indicator"
    coding_matrix: np.ndarray | None = None  # levels x (levels - 1), categorical moderator only
    slope_contrasts: list[dict[str, Any]] | None = None
    case_ids: np.ndarray | None = None
    diagnostics: dict[str, Any] | None = None

    @property
    def n(self) -> int:
        return int(self.design.shape[0])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def index_of(self, role: str) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.role == role]

    def coefficient_table(self) -> dict[str, Any]:
        se = np.sqrt(np.diag(self.cov))
        tests = t_test(self.params, se, self.df_resid, self.alpha)
        table = {}
        for i, name in enumerate(self.names):
            table[name] = {
                "b": self.params[i], "se": se[i], "t": tests["t"][i], "p": tests["p"][i],
                "ci_low": tests["ci_low"][i], "ci_high": tests["ci_high"][i],
            }
        return table

    def moderator_row(self, w: ArrayLike) -> np.ndarray:
        """Values of the moderator columns (as entered, i.e. centred) at moderator value(s) w."""
        if self.moderator_levels is None:
            values = np.atleast_1d(np.asarray(w, dtype=float))
            column: np.ndarray = (values - self.centers["moderator"])[:, None]
            return column
        levels = np.atleast_1d(np.asarray(w, dtype=object))
        matrix = self.coding_matrix
        assert matrix is not None  # a categorical moderator always has its coding matrix
        rows = np.array([matrix[self.moderator_levels.index(v)] for v in levels])
        centred: np.ndarray = rows - self.centers["moderator"]
        return centred

    def _coding(self) -> np.ndarray:
        assert self.coding_matrix is not None  # set with moderator_levels (categorical moderator)
        return self.coding_matrix

    def effect_at(self, w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Conditional effect of the focal predictor at moderator value(s) w, with its SE."""
        rows = self.moderator_row(w)
        gradient = np.zeros((rows.shape[0], len(self.columns)))
        gradient[:, self.index_of("focal")[0]] = 1.0
        gradient[:, self.index_of("interaction")] = rows
        effect = gradient @ self.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, self.cov, gradient))
        return effect, se

    def predict(self, x: ArrayLike, w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Predicted outcome at focal x and moderator w (covariates at their means), with SE."""
        rows = self.moderator_row(w)
        focal = np.broadcast_to(np.asarray(x, dtype=float), (rows.shape[0],)) - self.centers["focal"]
        design = np.zeros((rows.shape[0], len(self.columns)))
        design[:, self.index_of("intercept")[0]] = 1.0
        design[:, self.index_of("focal")[0]] = focal
        design[:, self.index_of("moderator")] = rows
        design[:, self.index_of("interaction")] = rows * focal[:, None]
        design[:, self.index_of("covariate")] = self.covariate_means
        fitted = design @ self.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", design, self.cov, design))
        return fitted, se

    def effect_sizes(self) -> dict[str, Any]:
        """Delta R^2 and Cohen's f^2 of the interaction, and standardised simple slopes.

        f^2 = (R^2_full - R^2_reduced) / (1 - R^2_full). The simple slope at each probe value is
        given fully standardised (b SD_X / SD_Y) for a continuous focal predictor and Y-standardised
        (b / SD_Y, a standardised mean difference) for a 0/1 one such as ``public``.
        """
        delta = self.interaction["r2_change"]
        f2 = delta / (1.0 - self.r2) if self.r2 < 1.0 else float("inf")
        sd_y = float(np.std(self.response, ddof=1))
        binary = np.unique(self.focal_values).size <= 2
        sd_x = 1.0 if binary else float(np.std(self.focal_values, ddof=1))
        slopes = [{"w": row["w"], "label": row["label"], "b": row["effect"],
                   "standardized": row["effect"] * sd_x / sd_y} for row in self.conditional_effects]
        return {"r2_change": delta, "f2": f2, "sd_outcome": sd_y, "sd_focal": None if binary else sd_x,
                "standardization": "b / SD(Y) (focal predictor is 0/1)" if binary else "b * SD(X) / SD(Y)",
                "standardized_slopes": slopes}

    def to_dict(self) -> dict[str, Any]:
        """The MODEL object of the JSON output (numbers may still be numpy / NaN)."""
        result = {
            "outcome": self.outcome,
            "focal": self.focal,
            "moderator": self.moderator,
            "formula": self.formula,
            "n": self.n,
            "n_missing": self.n_missing,
            "df_resid": self.df_resid,
            "cov_type": self.cov_type,
            "center": self.center,
            "centering_constants": {k: v for k, v in self.centers.items() if np.ndim(v) == 0},
            "coefficients": self.coefficient_table(),
            "r2": self.r2,
            "mse": self.mse,
            "model_f": self.model_f,
            "model_df": list(self.model_df),
            "model_p": self.model_p,
            "interaction": self.interaction,
            "conditional_effects": self.conditional_effects,
            "johnson_neyman": self.johnson_neyman,
            "effect_sizes": self.effect_sizes(),
        }
        if self.moderator_levels is not None:
            result["coding"] = {"scheme": self.coding, "levels": list(self.moderator_levels),
                                "matrix": {level: list(map(float, row))
                                           for level, row in zip(self.moderator_levels, self._coding())}}
            result["slope_contrasts"] = self.slope_contrasts
        if self.diagnostics is not None:
            result["diagnostics"] = self.diagnostics
        if self.bootstrap is not None:
            result["bootstrap"] = self.bootstrap
        if self.notes:
            result["notes"] = list(self.notes)
        return result


def should_center(values: np.ndarray, center: str) -> bool:
    if center == "all":
        return True
    if center == "continuous":
        return np.unique(values).size > 2
    return False


def _check_moderation_options(center: str, coding: str, probe: str) -> None:
    if center not in CENTER_CHOICES:
        raise ValueError(f"center must be one of {CENTER_CHOICES}, not {center!r}")
    if coding not in CODINGS:
        raise ValueError(f"coding must be one of {', '.join(CODINGS)}, not {coding!r}")
    if probe not in PROBE_CHOICES:
        raise ValueError(f"probe must be one of {PROBE_CHOICES}, not {probe!r}")


def _add_covariates(data: pd.DataFrame, covariates: list[str], columns: list[Column],
                    blocks: list[np.ndarray]) -> list[str]:
    """Append each covariate's design columns (dummies for a text covariate); returns the covariates used."""
    for name in covariates:
        if is_categorical(data[name]):
            dummy_names, dummies, _ = dummy_columns(data[name], name)
            for dummy_name, col in zip(dummy_names, dummies.T):
                columns.append(Column(dummy_name, "covariate"))
                blocks.append(col)
        else:
            columns.append(Column(name, "covariate"))
            blocks.append(data[name].to_numpy(dtype=float))
    return list(covariates)


def fit_moderation(
    df: pd.DataFrame,
    outcome: str,
    focal: str,
    moderator: str,
    *,
    cov_type: str = "HC3",
    center: str = "none",
    covariates: Sequence[str] = (),
    probe: str = "percentiles",
    at: Sequence[float] | None = None,
    alpha: float = 0.05,
    scale: tuple[float, float] | None = None,
    coding: str = "indicator",
) -> ModerationResult:
    """Fit ``outcome ~ focal * moderator (+ covariates)`` by OLS and probe the interaction.

    Missing values are dropped listwise over the columns this model uses. A text moderator
    is dummy-coded (first level as reference) and probed at each level; a numeric one at
    PROCESS percentiles (default), mean +/- 1 SD, or the values in ``at``, with
    Johnson–Neyman when it has more than two distinct values. ``scale`` is the moderator's
    scale range (from the codebook): a probe value outside it, or outside the observed data,
    is labelled and noted as an extrapolation. ``coding`` codes a categorical moderator
    (indicator, sequential, helmert or effect); the slopes per level do not depend on it.
    """
    cov_type = normalize_cov_type(cov_type)
    _check_moderation_options(center, coding, probe)
    covariates = [c for c in covariates if c]
    used = list(dict.fromkeys([outcome, focal, moderator, *covariates]))
    missing_columns = [c for c in used if c not in df.columns]
    if missing_columns:
        raise KeyError(f"columns not in the data: {', '.join(missing_columns)}")
    complete = df[used].notna().all(axis=1).to_numpy()
    data = df.loc[complete, used].reset_index(drop=True)
    case_ids = df.loc[complete, "participant_id"].to_numpy() if "participant_id" in df.columns else None
    n_missing = int((~complete).sum())
    if is_categorical(data[focal]) or is_categorical(data[outcome]):
        raise ValueError("the outcome and the focal predictor must be numeric")

    y = data[outcome].to_numpy(dtype=float)
    if y.size and np.ptp(y) == 0.0:
        raise ValueError(f"the outcome {outcome!r} is constant ({y[0]:g} for all {y.size} cases), so there "
                         "is nothing to explain (e.g. a pilot where nobody adopted a suggestion)")
    x_raw = data[focal].to_numpy(dtype=float)
    x_center = float(x_raw.mean()) if should_center(x_raw, center) else 0.0
    x = x_raw - x_center

    columns = [Column("Intercept", "intercept"), Column(focal, "focal")]
    blocks = [np.ones_like(y), x]
    categorical_moderator = is_categorical(data[moderator])
    if categorical_moderator:
        names, dummies, levels, matrix = coded_columns(data[moderator], moderator, coding)
        if len(levels) < 2:
            raise ValueError(f"the moderator {moderator!r} has only one level")
        w_center = dummies.mean(axis=0) if center == "all" else np.zeros(dummies.shape[1])
        w_cols = dummies - w_center
        moderator_values = data[moderator].astype(str).to_numpy(dtype=object)
        labels = levels[:-1] if coding == "helmert" else levels[1:]
        for name, level, col in zip(names, labels, w_cols.T):
            columns.append(Column(name, "moderator", level))
            blocks.append(col)
        for name, level, col in zip(names, labels, w_cols.T):
            columns.append(Column(f"{focal}:{name}", "interaction", level))
            blocks.append(x * col)
    else:
        levels, matrix = None, None
        w_raw = data[moderator].to_numpy(dtype=float)
        w_center = float(w_raw.mean()) if should_center(w_raw, center) else 0.0
        moderator_values = w_raw
        columns.append(Column(moderator, "moderator"))
        blocks.append(w_raw - w_center)
        columns.append(Column(f"{focal}:{moderator}", "interaction"))
        blocks.append(x * (w_raw - w_center))

    covariate_terms = _add_covariates(data, [c for c in covariates if c not in (outcome, focal, moderator)],
                                      columns, blocks)

    design = np.column_stack(blocks)
    params, resid, xtx_inv = ols(design, y)
    n, p = design.shape
    df_resid = n - p
    cov = coefficient_covariance(design, resid, cov_type, xtx_inv)
    r2 = r_squared(y, resid)
    mse = float(resid @ resid) / df_resid
    model_f, df1, df2, model_p = wald_f(params, cov, list(range(1, p)), df_resid)

    interaction_idx = [i for i, c in enumerate(columns) if c.role == "interaction"]
    reduced = np.delete(design, interaction_idx, axis=1)
    _, reduced_resid, _ = ols(reduced, y)
    f_int, q, _, p_int = wald_f(params, cov, interaction_idx, df_resid)
    interaction_names = [columns[i].name for i in interaction_idx]
    interaction = {
        "term": " + ".join(interaction_names),
        "terms": interaction_names,
        "r2_change": r2 - r_squared(y, reduced_resid),
        "f": f_int,
        "df1": q,
        "df2": df_resid,
        "p": p_int,
    }

    formula = f"{outcome} ~ {focal} * {moderator}" + "".join(f" + {c}" for c in covariate_terms)
    result = ModerationResult(
        outcome=outcome, focal=focal, moderator=moderator, formula=formula, cov_type=cov_type,
        center=center, alpha=alpha, columns=columns, design=design, response=y, params=params,
        cov=cov, df_resid=df_resid, r2=r2, mse=mse, model_f=model_f, model_df=(df1, df2),
        model_p=model_p, interaction=interaction, conditional_effects=[], johnson_neyman=None,
        n_missing=n_missing, focal_values=x_raw, moderator_values=moderator_values,
        moderator_levels=levels, centers={"focal": x_center, "moderator": w_center},
        covariate_means=design[:, [i for i, c in enumerate(columns) if c.role == "covariate"]].mean(axis=0),
        coding=coding if categorical_moderator else "none", coding_matrix=matrix, case_ids=case_ids,
    )
    result.conditional_effects = conditional_effects(result, probe, at)
    if not categorical_moderator and at:
        result.notes += extrapolation_notes(result, scale)
    if not categorical_moderator and np.unique(moderator_values).size > 2:
        i1, i3 = result.index_of("focal")[0], interaction_idx[0]
        result.johnson_neyman = johnson_neyman(
            params[i1], params[i3], cov[i1, i1], cov[i1, i3], cov[i3, i3], df_resid,
            moderator_values, shift=w_center, alpha=alpha,
        )
        result.johnson_neyman["table"] = johnson_neyman_table(result)
    else:
        result.notes.append("Johnson-Neyman is not defined for a dichotomous or categorical moderator.")
    if categorical_moderator:
        result.slope_contrasts = slope_contrasts(result)
    return result


def fit_h1(df: pd.DataFrame, *, moderator: str = "holism", **options: Any) -> ModerationResult:
    """H1: does visibility (public vs private) affect conformity differently by thinking style?"""
    return fit_moderation(df, "conformity", "public", moderator, **options)


def fit_h2(df: pd.DataFrame, *, moderator: str = "closeness", **options: Any) -> ModerationResult:
    """H2: does conformity affect the evaluation differently by closeness to the adviser
    (measured ``closeness``, or e.g. the manipulated ``relation`` friend/stranger)?"""
    return fit_moderation(df, "evaluation", "conformity", moderator, **options)
