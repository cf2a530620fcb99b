"""Power of the interaction test by simulation, for H1 and H2.

The effect size is Cohen's f^2 of the product term, f^2 = R2-change / (1 - R2 full), with
unit error variance and no main effects (they do not change the product term's test when
the predictors are independent). Designs:

H1: public ~ balanced 0/1 assignment, holism ~ N(0, 1). The product's variance net of the main
    effects is var(public) var(holism) = 1/4, so b3 = 2 sqrt(f^2).
H2: conformity, closeness ~ independent N(0, 1); b3 = sqrt(f^2).

Each simulated data set is fitted with the same covariance type as the analysis (HC3 by
default) and the product term is tested with t on n - 4 df. The noncentral-F power of the
classical F test (lambda = f^2 n) is printed alongside as an analytic reference.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats
from tqdm import tqdm

from analysis.covariance import normalize_cov_type, residual_weights

PREDICTORS = {"h1": ("public", "holism"), "h2": ("conformity", "closeness")}


def simulate_designs(hypothesis: str, f2: float, n: int, size: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``size`` simulated data sets of ``n`` cases: designs (size, n, 4) and outcomes (size, n)."""
    if hypothesis == "h1":
        focal = np.zeros((size, n))
        focal[:, : n // 2] = 1.0
        focal = rng.permuted(focal, axis=1)
        slope = 2.0 * np.sqrt(f2)
    elif hypothesis == "h2":
        focal = rng.standard_normal((size, n))
        slope = np.sqrt(f2)
    else:
        raise ValueError(f"unknown hypothesis {hypothesis!r}")
    moderator = rng.standard_normal((size, n))
    product = focal * moderator
    design = np.stack([np.ones_like(focal), focal, moderator, product], axis=2)
    outcome = slope * product + rng.standard_normal((size, n))
    return design, outcome


def interaction_t(design: np.ndarray, outcome: np.ndarray, cov_type: str) -> np.ndarray:
    """t statistic of the product term (last column) for a batch of OLS fits."""
    size, n, p = design.shape
    xtx_inv = np.linalg.inv(np.einsum("bni,bnj->bij", design, design))
    params = np.einsum("bij,bnj,bn->bi", xtx_inv, design, outcome)
    resid = outcome - np.einsum("bni,bi->bn", design, params)
    if cov_type == "OLS":
        variance = (resid**2).sum(axis=1) / (n - p) * xtx_inv[:, -1, -1]
    else:
        hat = np.einsum("bni,bij,bnj->bn", design, xtx_inv, design)
        omega = residual_weights(cov_type, resid, hat, n, p)
        row = xtx_inv[:, -1, :]  # only the product term's variance is needed
        projected = np.einsum("bj,bnj->bn", row, design)
        variance = (projected**2 * omega).sum(axis=1)
    t_values: np.ndarray = params[:, -1] / np.sqrt(variance)
    return t_values


def analytic_power(f2: float, n: int, alpha: float = 0.05, predictors: int = 3) -> float:
    """Power of the classical F test of one added term, noncentral F with lambda = f^2 n."""
    df2 = n - predictors - 1
    critical = stats.f.ppf(1.0 - alpha, 1, df2)
    if f2 == 0.0:
        return float(alpha)  # no effect: the test rejects at its nominal rate
    return float(stats.ncf.sf(critical, 1, df2, f2 * n))


def simulate_power(hypothesis: str = "h1", f2: float = 0.02, n_values: Sequence[int] = (100, 200, 400, 800),
                   n_sims: int = 1000, seed: int | None = None, alpha: float = 0.05, cov_type: str = "HC3",
                   progress: bool = False) -> list[dict[str, Any]]:
    """Share of simulated studies in which the interaction is significant, for each N."""
    cov_type = normalize_cov_type(cov_type)
    if not (np.isfinite(f2) and f2 >= 0.0):
        raise ValueError(f"f2 must be a finite number of at least 0, not {f2!r}")
    rng = np.random.default_rng(seed)
    rows = []
    with tqdm(total=len(n_values) * n_sims, desc=f"power {hypothesis}", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        for n in n_values:
            if n < 6:
                raise ValueError("N must be at least 6 to fit the model")
            critical = stats.t.ppf(1.0 - alpha / 2.0, n - 4)
            batch = int(max(1, min(n_sims, 2_000_000 // (4 * n))))
            hits = 0
            for start in range(0, n_sims, batch):
                size = min(batch, n_sims - start)
                design, outcome = simulate_designs(hypothesis, f2, n, size, rng)
                hits += int((np.abs(interaction_t(design, outcome, cov_type)) > critical).sum())
                bar.update(size)
            power = hits / n_sims
            rows.append({"hypothesis": hypothesis, "n": int(n), "power": power,
                         "mc_se": float(np.sqrt(power * (1.0 - power) / n_sims)),
                         "analytic_ols": analytic_power(f2, n, alpha)})
    return rows


def power_table(rows: list[dict[str, Any]], f2: float, n_sims: int, cov_type: str, alpha: float) -> str:
    lines = [f"Power of the interaction test by simulation (f2 = {f2:g}, {n_sims} simulations, "
             f"{cov_type} SEs, alpha = {alpha:g})"]
    for hypothesis in dict.fromkeys(r["hypothesis"] for r in rows):
        focal, moderator = PREDICTORS[hypothesis]
        lines += ["", f"{hypothesis.upper()}: {focal} x {moderator}",
                  f"{'N':>7}  {'power':>7}  {'MC se':>7}  {'analytic (OLS F)':>17}"]
        for r in rows:
            if r["hypothesis"] == hypothesis:
                lines.append(f"{r['n']:>7d}  {r['power']:>7.3f}  {r['mc_se']:>7.3f}  {r['analytic_ols']:>17.3f}")
    return "\n".join(lines)
