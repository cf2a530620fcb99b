"""The whole conditional process model: PROCESS models 7, 14 and 21 by OLS.

visibility (X) -> conformity (M) -> evaluation (Y), with W moderating X -> M (model 7),
V moderating M -> Y (model 14), or both (model 21):

    M = a0 + a1 X [+ a2 W + a3 XW] (+ covariates)
    Y = c0 + c' X + b1 M [+ b2 V + b3 MV] (+ covariates)

The conditional indirect effect of X through M is (a1 + a3 W)(b1 + b3 V); the index of
moderated mediation is a3 b1 (model 7) or a1 b3 (model 14). Both regressions are refitted on
the same case resamples for percentile bootstrap intervals, as PROCESS does. Moderator values
are PROCESS's 16th/50th/84th percentiles of the analysed cases (the two values of a 0/1 one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.bootstrap import Seed, bootstrap_joint, percentile_interval
from analysis.coding import dummy_columns, is_categorical
from analysis.covariance import coefficient_covariance, normalize_cov_type
from analysis.ols import ols, r_squared
from analysis.probing import process_percentiles, t_test

MODELS = (7, 14, 21)
# Which paths each model moderates: (W on X -> M, V on M -> Y).
MODERATED_PATHS = {7: (True, False), 14: (False, True), 21: (True, True)}


@dataclass
class PathFit:
    """One OLS regression of the model (an outcome with its named terms)."""

    outcome: str
    names: list[str]
    design: np.ndarray
    response: np.ndarray
    params: np.ndarray
    cov: np.ndarray
    df_resid: int
    r2: float
    mse: float

    def index(self, name: str) -> int:
        return self.names.index(name)

    def to_dict(self, alpha: float) -> dict[str, Any]:
        se = np.sqrt(np.diag(self.cov))
        tests = t_test(self.params, se, self.df_resid, alpha)
        coefficients = {
            name: {"b": float(self.params[i]), "se": float(se[i]), "t": float(tests["t"][i]),
                   "p": float(tests["p"][i]), "llci": float(tests["ci_low"][i]),
                   "ulci": float(tests["ci_high"][i])}
            for i, name in enumerate(self.names)
        }
        return {"outcome": self.outcome, "formula": f"{self.outcome} ~ " + " + ".join(self.names[1:]),
                "n": int(self.design.shape[0]), "df_resid": self.df_resid, "r2": self.r2, "mse": self.mse,
                "coefficients": coefficients}


def fit_path(outcome: str, response: np.ndarray, terms: list[tuple[str, np.ndarray]], cov_type: str) -> PathFit:
    """OLS of ``response`` on an intercept and the named columns, with the chosen covariance."""
    names = ["Intercept", *[name for name, _ in terms]]
    design = np.column_stack([np.ones_like(response), *[col for _, col in terms]])
    if np.ptp(response) == 0.0:
        raise ValueError(f"the outcome {outcome!r} is constant, so there is nothing to explain")
    params, resid, xtx_inv = ols(design, response)
    df_resid = design.shape[0] - design.shape[1]
    cov = coefficient_covariance(design, resid, cov_type, xtx_inv)
    return PathFit(outcome, names, design, response, params, cov, df_resid, r_squared(response, resid),
                   float(resid @ resid) / df_resid)


def probe_values(values: np.ndarray) -> list[float]:
    """PROCESS's probe values: the two values of a dichotomous moderator, else 16/50/84th percentiles."""
    distinct = np.unique(values)
    if distinct.size <= 2:
        return [float(v) for v in distinct]
    return [float(v) for v in process_percentiles(values)]


@dataclass
class MediationResult:
    model: int
    x: str
    m: str
    y: str
    w: str | None
    v: str | None
    cov_type: str
    alpha: float
    m_path: PathFit
    y_path: PathFit
    w_values: list[float]
    v_values: list[float]
    n_missing: int
    covariates: list[str]
    bootstrap: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    level_codes: dict[str, Any] = field(default_factory=dict)  # two-level text moderator -> {level: 0/1}

    @property
    def n(self) -> int:
        return int(self.m_path.design.shape[0])

    def probes(self) -> list[tuple[float | None, float | None]]:
        """(w, v) pairs in PROCESS's order: W outer, V inner; None where the model has none."""
        ws = self.w_values if self.w else [None]
        vs = self.v_values if self.v else [None]
        return [(w, v) for w in ws for v in vs]

    def gradients(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows g_a, g_b such that a(w) = g_a . a-params and b(v) = g_b . b-params per probe."""
        probes = self.probes()
        g_a = np.zeros((len(probes), len(self.m_path.names)))
        g_b = np.zeros((len(probes), len(self.y_path.names)))
        g_a[:, self.m_path.index(self.x)] = 1.0
        g_b[:, self.y_path.index(self.m)] = 1.0
        for j, (w, v) in enumerate(probes):
            if w is not None:
                g_a[j, self.m_path.index(f"{self.x}:{self.w}")] = w
            if v is not None:
                g_b[j, self.y_path.index(f"{self.m}:{self.v}")] = v
        return g_a, g_b

    def indirect_effects(self, a_params: np.ndarray, b_params: np.ndarray) -> np.ndarray:
        """Conditional indirect effects for coefficient vectors (one row per draw if 2-D)."""
        g_a, g_b = self.gradients()
        effects: np.ndarray = (np.atleast_2d(a_params) @ g_a.T) * (np.atleast_2d(b_params) @ g_b.T)
        return effects

    def index(self, a_params: np.ndarray, b_params: np.ndarray) -> np.ndarray:
        """Index of moderated mediation: a3 b1 (model 7), a1 b3 (model 14); a3 b3 for model 21
        is the index of moderated moderated mediation."""
        a = np.atleast_2d(a_params)
        b = np.atleast_2d(b_params)
        a1, b1 = a[:, self.m_path.index(self.x)], b[:, self.y_path.index(self.m)]
        a3 = a[:, self.m_path.index(f"{self.x}:{self.w}")] if self.w else None
        b3 = b[:, self.y_path.index(f"{self.m}:{self.v}")] if self.v else None
        # fit_conditional_process requires w for models 7 and 21 and v for models 14 and 21
        if self.model == 7:
            assert a3 is not None
            index: np.ndarray = a3 * b1
        elif self.model == 14:
            assert b3 is not None
            index = a1 * b3
        else:
            assert a3 is not None and b3 is not None
            index = a3 * b3
        return index

    def to_dict(self) -> dict[str, Any]:
        effects = self.indirect_effects(self.m_path.params, self.y_path.params)[0]
        index = float(self.index(self.m_path.params, self.y_path.params)[0])
        boot = self.bootstrap or {}
        rows = []
        for j, (w, v) in enumerate(self.probes()):
            rows.append({"w": w, "v": v, "effect": float(effects[j]),
                         "boot_se": boot.get("effect_se", [None] * len(effects))[j],
                         "boot_llci": boot.get("effect_llci", [None] * len(effects))[j],
                         "boot_ulci": boot.get("effect_ulci", [None] * len(effects))[j]})
        index_entry = {"estimate": index, "boot_se": boot.get("index_se"), "boot_llci": boot.get("index_llci"),
                       "boot_ulci": boot.get("index_ulci")}
        direct = self.y_path.to_dict(self.alpha)["coefficients"][self.x]
        result = {
            "model": self.model,
            "n": self.n,
            "n_missing": self.n_missing,
            "variables": {"x": self.x, "m": self.m, "y": self.y, "w": self.w, "v": self.v,
                          "covariates": list(self.covariates)},
            "cov_type": self.cov_type,
            "ci_level": 1.0 - self.alpha,
            "paths": {self.m: self.m_path.to_dict(self.alpha), self.y: self.y_path.to_dict(self.alpha)},
            "direct_effect": direct,
            "index_of_moderated_mediation": index_entry if self.model in (7, 14) else None,
            "conditional_indirect_effects": rows,
            "moderator_values": {"w": self.w_values if self.w else None, "v": self.v_values if self.v else None,
                                 "definition": "16th/50th/84th percentiles (PROCESS: value at position "
                                               "p(n+1)); both values of a dichotomous moderator",
                                 "level_codes": self.level_codes or None},
            "bootstrap": {k: boot[k] for k in ("n_boot", "seed", "n_failed", "method") if k in boot} or None,
        }
        if self.model == 21:
            result["index_of_moderated_moderated_mediation"] = index_entry
            self.notes.append("Model 21 has no single index of moderated mediation (the indirect effect is "
                              "moderated on both paths); index_of_moderated_moderated_mediation is a3*b3.")
        if self.notes:
            result["notes"] = list(dict.fromkeys(self.notes))
        return result


def covariate_terms(data: pd.DataFrame, covariates: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    terms = []
    for name in covariates:
        if is_categorical(data[name]):
            names, dummies, _ = dummy_columns(data[name], name)
            terms += list(zip(names, dummies.T))
        else:
            terms.append((name, data[name].to_numpy(dtype=float)))
    return terms


def fit_conditional_process(
    df: pd.DataFrame,
    model: int,
    *,
    x: str = "public",
    m: str = "conformity",
    y: str = "evaluation",
    w: str | None = "holism",
    v: str | None = "closeness",
    covariates: Sequence[str] = (),
    cov_type: str = "HC3",
    alpha: float = 0.05,
    parallel: Sequence[str] = (),
) -> MediationResult:
    """Fit PROCESS model 7, 14 or 21 on the complete cases of every variable it uses.

    ``parallel`` names further mediators in parallel with ``m`` (as PROCESS's M2, ...): they
    enter the Y regression (with their product with V), so the effects reported for ``m`` are
    those of the multiple-mediator model; their own X -> M regressions are not reported.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(map(str, MODELS))}, not {model!r}")
    cov_type = normalize_cov_type(cov_type)
    moderate_a, moderate_b = MODERATED_PATHS[model]
    w = w if moderate_a else None
    v = v if moderate_b else None
    if moderate_a and not w or moderate_b and not v:
        raise ValueError(f"model {model} needs {'W' if moderate_a and not w else 'V'}")
    parallel = [c for c in parallel if c and c not in (x, m, y, w, v)]
    covariates = [c for c in covariates if c and c not in (x, m, y, w, v, *parallel)]
    used = list(dict.fromkeys([c for c in (x, m, y, w, v) if c] + parallel + covariates))
    absent = [c for c in used if c not in df.columns]
    if absent:
        raise KeyError(f"columns not in the data: {', '.join(absent)}")
    complete = df[used].notna().all(axis=1).to_numpy()
    data = df.loc[complete, used].reset_index(drop=True)
    notes, level_codes = [], {}
    col = {}
    for name in (c for c in (x, m, y, w, v) if c):
        if not is_categorical(data[name]):
            col[name] = data[name].to_numpy(dtype=float)
            continue
        levels = sorted(str(value) for value in pd.unique(data[name]))
        if name not in (w, v) or len(levels) != 2:
            raise ValueError(f"{name!r} must be numeric for the conditional process model (a moderator may "
                             f"also be text with two levels; {name!r} has {len(levels)})")
        col[name] = (data[name].astype(str).to_numpy() == levels[1]).astype(float)
        level_codes[name] = {levels[0]: 0.0, levels[1]: 1.0}
        notes.append(f"{name} is coded 0 = {levels[0]}, 1 = {levels[1]}.")
    extra = covariate_terms(data, covariates)

    a_terms = [(x, col[x])]
    if w:
        a_terms += [(w, col[w]), (f"{x}:{w}", col[x] * col[w])]
    b_terms = [(x, col[x]), (m, col[m])]
    if v:
        b_terms += [(v, col[v]), (f"{m}:{v}", col[m] * col[v])]
    for other in parallel:
        values = data[other].to_numpy(dtype=float)
        b_terms.append((other, values))
        if v:
            b_terms.append((f"{other}:{v}", values * col[v]))
    m_path = fit_path(m, col[m], a_terms + extra, cov_type)
    y_path = fit_path(y, col[y], b_terms + extra, cov_type)
    return MediationResult(
        model=model, x=x, m=m, y=y, w=w, v=v, cov_type=cov_type, alpha=alpha, m_path=m_path, y_path=y_path,
        w_values=probe_values(col[w]) if w else [], v_values=probe_values(col[v]) if v else [],
        n_missing=int((~complete).sum()), covariates=covariates, notes=notes, level_codes=level_codes,
    )


def bootstrap_conditional_process(result: MediationResult, n_boot: int = 5000, seed: Seed = None,
                                  progress: bool = False) -> dict[str, Any]:
    """Percentile bootstrap of the conditional indirect effects and the index (both paths on the
    same resamples); stores the summary on the result."""
    a_draws, b_draws = bootstrap_joint(
        [(result.m_path.design, result.m_path.response), (result.y_path.design, result.y_path.response)],
        n_boot, seed, progress, label=f"bootstrap model {result.model}")
    failed = int(np.isnan(a_draws[:, 0]).sum())
    if failed == n_boot:
        raise ValueError(f"none of the {n_boot} bootstrap resamples could be fitted (each was singular)")
    effects = result.indirect_effects(a_draws, b_draws)
    index = result.index(a_draws, b_draws)
    e_low, e_high = percentile_interval(effects, result.alpha)
    i_low, i_high = percentile_interval(index, result.alpha)
    summary = {
        "n_boot": int(n_boot), "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,
        "n_failed": failed, "method": "percentile",
        "effect_se": [float(s) for s in np.nanstd(effects, axis=0, ddof=1)],
        "effect_llci": [float(s) for s in np.atleast_1d(e_low)],
        "effect_ulci": [float(s) for s in np.atleast_1d(e_high)],
        "index_se": float(np.nanstd(index, ddof=1)), "index_llci": float(i_low), "index_ulci": float(i_high),
    }
    if failed:
        result.notes.append(f"{failed} of {n_boot} bootstrap resamples were singular and left out.")
    result.bootstrap = summary
    return summary
