"""Regression diagnostics a reviewer asks for, computed from a fitted moderation model.

* Breusch–Pagan (Koenker's studentised form): n R^2 of e^2 on the model's predictors, chi^2(p - 1).
* Influence: leverage h_ii and Cook's distance D_i = e_i^2 h_ii / (p MSE (1 - h_ii)^2), with the
  usual flags (h > 2p/n, D > 4/n) and the most influential cases by participant id.
* VIF of each predictor: 1 / (1 - R^2) of that column on the others. Product terms of uncentred
  variables have large VIFs by construction; that does not affect the test of the product.
* A bounded outcome (conformity is a share, 0–1) fitted by OLS is a linear-probability model:
  fitted values can leave the range, and the binomial model is the robustness check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.covariance import leverage

if TYPE_CHECKING:
    from analysis.models import ModerationResult

TOP_CASES = 5


def _r2_on(design: np.ndarray, target: np.ndarray) -> float:
    """R^2 of target on design (which holds the intercept), by the normal equations: p is small."""
    coef = np.linalg.solve(design.T @ design, design.T @ target)
    resid = target - design @ coef
    centred = target - target.mean()
    total = float(centred @ centred)
    return 1.0 - float(resid @ resid) / total if total > 0 else float("nan")


def breusch_pagan(design: np.ndarray, resid: np.ndarray) -> dict[str, Any]:
    """Koenker's studentised Breusch–Pagan test against the model's own predictors."""
    n, p = design.shape
    squared = resid**2
    lm = n * _r2_on(design, squared)
    df = p - 1
    return {"test": "Breusch-Pagan (Koenker, studentised)", "lm": lm, "df": df,
            "p": float(stats.chi2.sf(lm, df))}


def influence(design: np.ndarray, resid: np.ndarray, case_ids: np.ndarray | None = None) -> dict[str, Any]:
    n, p = design.shape
    xtx_inv = np.linalg.pinv(design.T @ design)
    hat = leverage(design, xtx_inv)
    mse = float(resid @ resid) / (n - p)
    cooks = resid**2 * hat / (p * mse * (1.0 - hat) ** 2)
    order = np.argsort(-cooks)[:TOP_CASES]
    ids = case_ids if case_ids is not None else np.arange(1, n + 1)
    return {
        "max_leverage": float(hat.max()), "leverage_cutoff": 2.0 * p / n,
        "n_high_leverage": int((hat > 2.0 * p / n).sum()),
        "max_cooks_distance": float(cooks.max()), "cooks_cutoff": 4.0 / n,
        "n_high_cooks": int((cooks > 4.0 / n).sum()), "n_cooks_above_1": int((cooks > 1.0).sum()),
        "most_influential": [{"case": str(ids[i]), "row": int(i) + 1, "cooks_distance": float(cooks[i]),
                              "leverage": float(hat[i])} for i in order],
        "_cooks": cooks, "_leverage": hat,
    }


def variance_inflation(design: np.ndarray, names: list[str]) -> dict[str, Any]:
    """VIF of every non-intercept column: the diagonal of the inverse correlation matrix of the
    predictors, which equals 1 / (1 - R^2_j) of each on the others with an intercept."""
    keep = [j for j, name in enumerate(names) if name != "Intercept"]
    if not keep:
        return {}
    correlation = np.atleast_2d(np.corrcoef(design[:, keep], rowvar=False))
    vif = np.diag(np.linalg.inv(correlation))
    return {names[j]: float(v) for j, v in zip(keep, vif)}


def model_diagnostics(result: ModerationResult, outcome_range: tuple[float, float] | None = None) -> dict[str, Any]:
    """Diagnostics of a fitted ModerationResult (JSON-ready except the private arrays)."""
    resid = result.response - result.design @ result.params
    infl = influence(result.design, resid, result.case_ids)
    infl.pop("_cooks")
    infl.pop("_leverage")
    diag: dict[str, Any] = {"heteroskedasticity": breusch_pagan(result.design, resid), "influence": infl,
            "vif": variance_inflation(result.design, result.names)}
    products = [n for n in diag["vif"] if ":" in n]
    if products and result.center == "none":
        diag["vif_note"] = ("product terms of uncentred variables have large VIFs by construction; this "
                            "does not change the test of the interaction (--center all gives the same test)")
    if outcome_range is not None:
        low, high = outcome_range
        fitted = result.design @ result.params
        outside = int(((fitted < low) | (fitted > high)).sum())
        diag["bounded_outcome"] = {
            "range": [float(low), float(high)], "fitted_outside_range": outside,
            "caveat": (f"{result.outcome} is bounded ({low:g}-{high:g}); OLS treats it as a linear-probability "
                       f"model ({outside} of {result.n} fitted values fall outside the range). HC3 SEs keep "
                       "the tests valid under the resulting heteroskedasticity; the binomial model of "
                       "adopted out of k is the robustness check."),
        }
    return diag


def binomial_irls(design: np.ndarray, adopted: np.ndarray, total: np.ndarray,
                  iterations: int = 50) -> tuple[np.ndarray, np.ndarray, float]:
    """Binomial GLM (logit link) of adopted out of total by IRLS, with HC0 sandwich SEs."""
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        mu = 1.0 / (1.0 + np.exp(-(design @ beta)))
        weight = total * mu * (1.0 - mu)
        step = np.linalg.solve((design * weight[:, None]).T @ design, design.T @ (adopted - total * mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = 1.0 / (1.0 + np.exp(-(design @ beta)))
    weight = total * mu * (1.0 - mu)
    bread = np.linalg.inv((design * weight[:, None]).T @ design)
    score = design * (adopted - total * mu)[:, None]
    cov = bread @ (score.T @ score) @ bread
    pearson = float(np.sum((adopted - total * mu) ** 2 / np.maximum(weight, 1e-300)))
    return beta, np.sqrt(np.diag(cov)), pearson / (design.shape[0] - design.shape[1])


def binomial_check(participants: pd.DataFrame, h1: ModerationResult, alpha: float) -> dict[str, Any] | None:
    """Adopted-out-of-k binomial GLM of H1 (HC0 SEs, z tests), with whether its interaction
    agrees with the OLS one in sign and test decision."""
    if not {"n_adopted", "n_suggestions"} <= set(participants.columns):
        return None
    used = ["n_adopted", "n_suggestions", "public", h1.moderator]
    complete = participants[used].notna().all(axis=1) & (participants["n_suggestions"] > 0)
    data = participants.loc[complete]
    if len(data) < 5 or data["public"].nunique() < 2 or h1.moderator_levels is not None:
        return {"skipped": "too few participants with suggestions, or a categorical moderator"}
    x = data["public"].to_numpy(dtype=float)
    w = data[h1.moderator].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(x), x, w, x * w])
    names = ["Intercept", "public", h1.moderator, f"public:{h1.moderator}"]
    try:
        beta, se, dispersion = binomial_irls(design, data["n_adopted"].to_numpy(dtype=float),
                                             data["n_suggestions"].to_numpy(dtype=float))
    except np.linalg.LinAlgError as exc:
        return {"skipped": f"the binomial model could not be fitted ({exc})"}
    p_values = 2.0 * stats.norm.sf(np.abs(beta / se))
    fit: dict[str, Any] = {"model": "binomial (adopted out of k), logit link, HC0 sandwich SEs, z tests",
           "formula": f"cbind(n_adopted, n_suggestions - n_adopted) ~ public * {h1.moderator}",
           "n": int(len(data)), "pearson_dispersion": dispersion,
           "coefficients": {n: {"b": float(b), "p": float(pv)} for n, b, pv in zip(names, beta, p_values)}}
    ols_table = h1.coefficient_table()
    agreement = {}
    for term in h1.interaction["terms"]:
        if term in fit["coefficients"]:
            b_glm, p_glm = fit["coefficients"][term]["b"], fit["coefficients"][term]["p"]
            b_ols, p_ols = ols_table[term]["b"], ols_table[term]["p"]
            agreement[term] = {"ols_b": float(b_ols), "ols_p": float(p_ols), "binomial_b_logodds": b_glm,
                               "binomial_p": p_glm, "same_sign": bool(np.sign(b_glm) == np.sign(b_ols)),
                               "same_decision": bool((p_glm < alpha) == (p_ols < alpha))}
    return {"model": fit["model"], "formula": fit["formula"], "n": fit["n"],
            "pearson_dispersion": fit["pearson_dispersion"], "interaction": agreement}
