"""Suggestion-level models of adoption, with the structure of the data kept.

Each participant receives several suggestions, so adoptions are clustered by participant.
Three models of ``adopted ~ public * moderator (+ suggester_closeness)``:

1. logistic regression with cluster-robust (participant) sandwich standard errors;
2. GEE, logit link, exchangeable working correlation within participant, robust SEs;
3. mixed logistic regression with a participant random intercept, fitted by maximum
   likelihood with Gauss–Hermite quadrature of the random effect (coded here; statsmodels
   has only Bayesian approximations for this model). SEs from the inverse numerical Hessian.

``suggester_closeness`` is the participant's closeness rating (``ios_<persona>`` in the
participants file) of the persona each suggestion came from: a suggestion-level predictor.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import optimize, sparse, special, stats

from analysis.load import InputError, read_participants, read_suggestions
from analysis.robustness import glm_table, interaction_design

QUADRATURE_NODES = 40
CLOSENESS = "suggester_closeness"


def suggestion_frame(participants: pd.DataFrame, suggestions: pd.DataFrame, moderator: str,
                     closeness: str = "auto") -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """Suggestions of analysed participants with the participant's condition and moderator, and
    the per-suggester closeness when the export has it. Returns data, predictors and counts."""
    ios = [c for c in participants.columns if c.startswith("ios_")]
    merged = suggestions.merge(participants[["participant_id", "public", moderator, *ios]],
                               on="participant_id", how="left", indicator=True)
    counts = {"n_suggestions_input": int(len(suggestions)),
              "n_not_analysed": int((merged["_merge"] != "both").sum())}
    merged = merged.loc[merged["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    extra = []
    if closeness != "none" and "persona" in merged.columns and ios:
        values = np.full(len(merged), np.nan)
        for column in ios:
            rows = (merged["persona"] == column[len("ios_"):]).to_numpy()
            values[rows] = merged.loc[rows, column].to_numpy(dtype=float)
        merged[CLOSENESS] = values
        if np.isfinite(values).any():
            extra.append(CLOSENESS)
    elif closeness == "require":
        raise ValueError("per-suggester closeness needs a persona column in suggestions.csv and ios_* columns "
                         "in participants.csv")
    used = ["adopted", "public", moderator, *extra]
    complete = merged[used].notna().all(axis=1).to_numpy()
    counts["n_missing"] = int((~complete).sum())
    data = merged.loc[complete].reset_index(drop=True)
    return data, extra, counts


def suggestion_design(data: pd.DataFrame, moderator: str, extra: list[str]) -> pd.DataFrame:
    design = interaction_design(data, "public", moderator)
    for name in extra:
        design[name] = data[name].to_numpy(dtype=float)
    return design


def cluster_logit(y: ArrayLike, design: pd.DataFrame, groups: ArrayLike, alpha: float) -> dict[str, Any]:
    """Logistic regression, sandwich SEs clustered by participant (statsmodels' small-sample
    factor G/(G-1) * (N-1)/(N-K), as Stata and R's sandwich::vcovCL with type HC1)."""
    model = sm.GLM(y, design, family=sm.families.Binomial())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    return {"estimator": "maximum likelihood (IRLS)", "se": "cluster-robust sandwich by participant, "
            "small-sample factor G/(G-1)*(N-1)/(N-K)", "test": "z", "coefficients": glm_table(fit, alpha),
            "log_likelihood": float(fit.llf), "notes": sorted({str(w.message).splitlines()[0] for w in caught})}


def gee_logit(y: ArrayLike, design: pd.DataFrame, groups: ArrayLike, alpha: float,
              structure: str = "exchangeable") -> dict[str, Any]:
    """GEE with logit link and the given working correlation; robust (sandwich) SEs."""
    cov_struct = sm.cov_struct.Exchangeable() if structure == "exchangeable" else sm.cov_struct.Independence()
    model = sm.GEE(y, design, groups=groups, family=sm.families.Binomial(), cov_struct=cov_struct)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit()
    result: dict[str, Any] = {
        "estimator": f"GEE, {structure} working correlation", "se": "robust (sandwich), no small-sample factor",
        "test": "z", "coefficients": glm_table(fit, alpha),
        "notes": sorted({str(w.message).splitlines()[0] for w in caught})}
    if structure == "exchangeable":
        result["working_correlation"] = float(np.asarray(cov_struct.dep_params).ravel()[0])
    return result


def group_matrix(codes: ArrayLike, n_groups: int) -> Any:  # a scipy.sparse matrix (scipy has no stubs here)
    """Sparse participant-by-suggestion indicator, to sum rows within participant."""
    codes = np.asarray(codes)
    return sparse.csr_matrix((np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size))


def random_intercept_loglik(theta: np.ndarray, design: np.ndarray, y: np.ndarray, codes: Any, n_groups: int,
                            nodes: np.ndarray, log_weights: np.ndarray, gradient: bool = False) -> Any:
    """Marginal log-likelihood of a random-intercept logistic model, theta = (beta, log sigma).

    For participant g: L_g = integral of prod_i p_i(b)^y_i (1 - p_i(b))^(1 - y_i) N(b; 0, sigma^2) db,
    by Gauss–Hermite quadrature: b_k = sqrt(2) sigma x_k, weights w_k / sqrt(pi). With
    ``gradient`` also returns the exact gradient (posterior-weighted scores over the nodes).
    """
    beta, sigma = theta[:-1], np.exp(theta[-1])
    groups = codes if sparse.issparse(codes) else group_matrix(codes, n_groups)
    offsets = np.sqrt(2.0) * sigma * nodes
    eta = (design @ beta)[:, None] + offsets[None, :]
    # log p^y (1-p)^(1-y) = y eta - log(1 + e^eta)
    row = y[:, None] * eta - np.logaddexp(0.0, eta)
    per_group = groups @ row + log_weights[None, :]
    per_participant = special.logsumexp(per_group, axis=1)
    value = float(per_participant.sum())
    if not gradient:
        return value
    posterior = np.exp(per_group - per_participant[:, None])  # weight of each node per participant
    residual = y[:, None] - special.expit(eta)
    weighted = (groups.T @ posterior) * residual  # rows: suggestions, columns: nodes
    grad_beta = design.T @ weighted.sum(axis=1)
    grad_log_sigma = float((weighted @ offsets).sum())
    return value, np.append(grad_beta, grad_log_sigma)


def hessian_from_gradient(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                          step: float = 1e-5) -> np.ndarray:
    """Central differences of an exact gradient, symmetrised."""
    k = x.size
    hess = np.zeros((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        hess[i] = (gradient(x + e) - gradient(x - e)) / (2 * step)
    return (hess + hess.T) / 2.0


def mixed_logit(y: np.ndarray, design: pd.DataFrame, groups: ArrayLike, alpha: float,
                start: ArrayLike | None = None) -> dict[str, Any]:
    """Random-intercept logistic regression by maximum likelihood (Gauss–Hermite quadrature)."""
    x = design.to_numpy(dtype=float)
    codes = np.asarray(groups)
    n_groups = int(codes.max()) + 1
    indicator = group_matrix(codes, n_groups)
    nodes, weights = np.polynomial.hermite.hermgauss(QUADRATURE_NODES)
    log_weights = np.log(weights) - 0.5 * np.log(np.pi)

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = random_intercept_loglik(theta, x, y, indicator, n_groups, nodes, log_weights, gradient=True)
        return -value, -grad

    if start is None:
        start = sm.GLM(y, x, family=sm.families.Binomial()).fit().params
    theta0 = np.append(np.asarray(start, dtype=float), np.log(0.5))
    fit = optimize.minimize(negative, theta0, jac=True, method="BFGS", options={"gtol": 1e-7, "maxiter": 1000})
    hess = hessian_from_gradient(lambda t: negative(t)[1], fit.x)
    notes = [] if fit.success else [f"optimiser: {fit.message}"]
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.diag(cov))
    except np.linalg.LinAlgError:
        se = np.full(fit.x.size, np.nan)
        notes.append("the Hessian is singular: no standard errors")
    z_crit = stats.norm.ppf(1.0 - alpha / 2.0)
    table = {}
    for i, name in enumerate(design.columns):
        b, s = float(fit.x[i]), float(se[i])
        table[name] = {"b": b, "se": s, "z": b / s if s > 0 else float("nan"),
                       "p": float(2.0 * stats.norm.sf(abs(b / s))),
                       "ci_low": b - z_crit * s, "ci_high": b + z_crit * s, "odds_ratio": float(np.exp(b))}
    log_sigma, log_sigma_se = float(fit.x[-1]), float(se[-1])
    sigma = float(np.exp(log_sigma))
    with np.errstate(over="ignore", invalid="ignore"):
        bounds = [float(np.exp(log_sigma - z_crit * log_sigma_se)), float(np.exp(log_sigma + z_crit * log_sigma_se))]
    sd_ci: list[float | None] = list(bounds)
    if sigma < 1e-3 or not all(np.isfinite(bounds)):
        sd_ci = [None, None]
        notes.append("the random-intercept SD is at its boundary (about 0): adoptions show no participant "
                     "effect beyond the predictors, and the mixed model reduces to the ordinary logit")
    return {"estimator": f"maximum likelihood, Gauss-Hermite quadrature ({QUADRATURE_NODES} nodes) over the "
                         "participant random intercept; optimiser BFGS", "se": "inverse numerical Hessian",
            "test": "z", "coefficients": table, "log_likelihood": float(-fit.fun),
            "random_intercept_sd": sigma,
            "random_intercept_sd_ci": sd_ci,
            "icc_latent": sigma**2 / (sigma**2 + np.pi**2 / 3.0), "notes": notes}


def fit_suggestion_models(participants: pd.DataFrame, suggestions: pd.DataFrame, *, moderator: str = "holism",
                          closeness: str = "auto", alpha: float = 0.05) -> dict[str, Any]:
    """The three suggestion-level models, on the same suggestions."""
    data, extra, counts = suggestion_frame(participants, suggestions, moderator, closeness)
    formula = f"adopted ~ public * {moderator}" + "".join(f" + {c}" for c in extra)
    base = {"formula": formula, "outcome": "adopted", "predictors": extra, **counts, "n": int(len(data))}
    if len(data) == 0 or data["adopted"].nunique() < 2 or data["public"].nunique() < 2:
        return {**base, "skipped": "not enough variation in adoption or condition to fit the models"}
    design = suggestion_design(data, moderator, extra)
    y = data["adopted"].to_numpy(dtype=float)
    groups = pd.factorize(data["participant_id"])[0]
    base["n_participants"] = int(groups.max() + 1)
    models: dict[str, dict[str, Any]] = {}
    fits: tuple[tuple[str, Callable[[], dict[str, Any]]], ...] = (
        ("cluster_logit", lambda: cluster_logit(y, design, groups, alpha)),
        ("gee_exchangeable", lambda: gee_logit(y, design, groups, alpha, "exchangeable")),
        ("mixed_logit", lambda: mixed_logit(y, design, groups, alpha)))
    for key, fit in fits:
        try:
            models[key] = fit()
        except (np.linalg.LinAlgError, ValueError, OverflowError) as exc:
            models[key] = {"skipped": f"could not be fitted ({exc})"}
    if CLOSENESS in extra:
        base["closeness_note"] = ("suggester_closeness is the participant's ios_<persona> rating of the persona "
                                  "each suggestion came from")
    return {**base, "alpha": alpha, "models": models}


def analyse_suggestions(data_dir: str | Path, *, moderator: str = "holism", closeness: str = "auto",
                        alpha: float = 0.05, keep_failed_attention: bool = False) -> dict[str, Any]:
    """Read participants.csv and suggestions.csv of an export directory and fit the models."""
    directory = Path(data_dir)
    if not directory.is_dir():
        raise InputError(directory, "not a directory (give the export folder with participants.csv and "
                                    "suggestions.csv)")
    for name in ("participants.csv", "suggestions.csv"):
        if not (directory / name).is_file():
            raise InputError(directory / name, "file not found in the export folder")
    study = read_participants(directory / "participants.csv", moderator=moderator,
                              keep_failed_attention=keep_failed_attention)
    suggestions = read_suggestions(directory / "suggestions.csv")
    result = fit_suggestion_models(study.data, suggestions, moderator=moderator, closeness=closeness, alpha=alpha)
    result["input"] = {"participants": study.input_info(), "suggestions": str(directory / "suggestions.csv")}
    result["exclusions"] = study.exclusions
    return result
