"""Robustness checks for H1 that model adoption itself instead of the conformity share.

1. Suggestion level: ``adopted ~ public * moderator`` as a logistic regression over all
   suggestions, with standard errors clustered by participant (suggestions of one person
   are not independent).
2. Participant level: adopted-out-of-k as a binomial GLM (logit link) with sandwich (HC0)
   standard errors, which stay valid under over-dispersion.
Both use z tests, as is usual for GLMs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.coding import dummy_columns, is_categorical


def interaction_design(data: pd.DataFrame, focal: str, moderator: str) -> pd.DataFrame:
    """Intercept, focal, moderator and their product, with statsmodels-style term names."""
    design = {"Intercept": np.ones(len(data)), focal: data[focal].to_numpy(dtype=float)}
    if is_categorical(data[moderator]):
        names, dummies, _ = dummy_columns(data[moderator], moderator)
        for name, col in zip(names, dummies.T):
            design[name] = col
        for name, col in zip(names, dummies.T):
            design[f"{focal}:{name}"] = design[focal] * col
    else:
        design[moderator] = data[moderator].to_numpy(dtype=float)
        design[f"{focal}:{moderator}"] = design[focal] * design[moderator]
    return pd.DataFrame(design, index=data.index)


def glm_table(fit: Any, alpha: float) -> dict[str, Any]:  # a statsmodels results object (no stubs)
    """Coefficients of a fitted GLM as b, SE, z, p, CI and odds ratio."""
    z_crit = stats.norm.ppf(1.0 - alpha / 2.0)
    table = {}
    for name in fit.params.index:
        b, se = float(fit.params[name]), float(fit.bse[name])
        table[name] = {"b": b, "se": se, "z": b / se, "p": float(2.0 * stats.norm.sf(abs(b / se))),
                       "ci_low": b - z_crit * se, "ci_high": b + z_crit * se,
                       "odds_ratio": float(np.exp(b))}
    return table


def fit_glm_quietly(model: Any, **fit_options: Any) -> tuple[Any, list[str]]:
    """Fit, turning convergence or separation warnings into notes rather than failures."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(**fit_options)
    notes = sorted({str(w.message).splitlines()[0] for w in caught})
    return fit, notes


def suggestion_logit(participants: pd.DataFrame, suggestions: pd.DataFrame, *,
                     moderator: str = "holism", alpha: float = 0.05) -> dict[str, Any]:
    """Logistic model of each suggestion's adoption, SEs clustered by participant."""
    keep = ["participant_id", "public", moderator]
    merged = suggestions.merge(participants[keep], on="participant_id", how="left", indicator=True)
    unmatched = int((merged["_merge"] != "both").sum())
    merged = merged.loc[merged["_merge"] == "both"]
    complete = merged[["adopted", "public", moderator]].notna().all(axis=1)
    data = merged.loc[complete].reset_index(drop=True)
    base = {"model": "logistic, SEs clustered by participant", "outcome": "adopted",
            "formula": f"adopted ~ public * {moderator}", "n_suggestions_input": len(suggestions),
            "n_unmatched": unmatched, "n_missing": int((~complete).sum())}
    if len(data) == 0 or data["adopted"].nunique() < 2 or data["public"].nunique() < 2:
        return {**base, "skipped": "not enough variation in adoption or condition to fit the model"}
    design = interaction_design(data, "public", moderator)
    groups = pd.factorize(data["participant_id"])[0]
    model = sm.GLM(data["adopted"].to_numpy(dtype=float), design, family=sm.families.Binomial())
    try:
        fit, notes = fit_glm_quietly(model, cov_type="cluster", cov_kwds={"groups": groups})
    except (np.linalg.LinAlgError, ValueError) as exc:
        return {**base, "skipped": f"the model could not be fitted ({exc})"}
    return {**base, "cov_type": "cluster (participant)", "test": "z", "n": len(data),
            "n_clusters": int(groups.max() + 1), "coefficients": glm_table(fit, alpha), "notes": notes}


def adoption_counts(participants: pd.DataFrame, suggestions: pd.DataFrame | None) -> pd.DataFrame:
    """Adopted and offered suggestions per participant, from the participants file if it has
    n_adopted / n_suggestions, otherwise counted from the suggestions file."""
    if {"n_adopted", "n_suggestions"} <= set(participants.columns):
        return participants.assign(k_adopted=participants["n_adopted"], k_total=participants["n_suggestions"])
    if suggestions is None:
        raise LookupError("needs n_adopted/n_suggestions columns or a suggestions file")
    valid = suggestions.dropna(subset=["adopted"])
    counts = valid.groupby("participant_id")["adopted"].agg(["sum", "count"])
    counts.columns = ["k_adopted", "k_total"]
    return participants.merge(counts, left_on="participant_id", right_index=True, how="left")


def adoption_binomial(participants: pd.DataFrame, suggestions: pd.DataFrame | None = None, *,
                      moderator: str = "holism", alpha: float = 0.05) -> dict[str, Any]:
    """Binomial GLM of adopted-out-of-k per participant: ``adopted/k ~ public * moderator``."""
    base: dict[str, Any] = {"model": "binomial (adopted out of k), HC0 sandwich SEs", "outcome": "adopted / k",
            "formula": f"cbind(adopted, k - adopted) ~ public * {moderator}"}
    try:
        counts = adoption_counts(participants, suggestions)
    except LookupError as exc:
        return {**base, "skipped": str(exc)}
    used = ["k_adopted", "k_total", "public", moderator]
    complete = counts[used].notna().all(axis=1) & (counts["k_total"] > 0)
    data = counts.loc[complete].reset_index(drop=True)
    base.update(n_missing=int((~complete).sum()))
    if len(data) < 5 or data["public"].nunique() < 2:
        return {**base, "skipped": "too few participants with suggestions to fit the model"}
    design = interaction_design(data, "public", moderator)
    adopted = data["k_adopted"].to_numpy(dtype=float)
    total = data["k_total"].to_numpy(dtype=float)
    model = sm.GLM(np.column_stack([adopted, total - adopted]), design, family=sm.families.Binomial())
    try:
        fit, notes = fit_glm_quietly(model, cov_type="HC0")
    except (np.linalg.LinAlgError, ValueError) as exc:
        return {**base, "skipped": f"the model could not be fitted ({exc})"}
    dispersion = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else float("nan")
    return {**base, "cov_type": "HC0", "test": "z", "n": len(data),
            "n_suggestions": int(total.sum()), "pearson_dispersion": dispersion,
            "coefficients": glm_table(fit, alpha), "notes": notes}
