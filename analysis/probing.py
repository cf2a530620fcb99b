"""Probing an interaction: conditional effects (spotlights) and Johnson–Neyman (floodlight).

For y = b0 + b1 X + b2 W + b3 XW + ..., the effect of X at W = w is theta(w) = b1 + b3 w with
var(theta) = v11 + 2 w v13 + w^2 v33. Johnson–Neyman boundaries are the w where
theta(w)^2 = t_crit^2 var(theta), a quadratic in w solved in closed form below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

PROCESS_PERCENTILES = (0.16, 0.50, 0.84)


def process_percentiles(values: ArrayLike, probs: Sequence[float] = PROCESS_PERCENTILES) -> np.ndarray:
    """Percentiles as PROCESS defines them: the value at position p(n+1) of the sorted data.

    This is numpy's ``weibull`` method (R's type 6), not numpy's default linear rule.
    """
    quantiles: np.ndarray = np.quantile(np.asarray(values, dtype=float), probs, method="weibull")
    return quantiles


def mean_sd_values(values: ArrayLike) -> list[tuple[float, str]]:
    """Mean and mean +/- 1 SD (n - 1 denominator); like PROCESS, a value beyond the
    observed range is replaced by the minimum or maximum so nothing is extrapolated."""
    values = np.asarray(values, dtype=float)
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    low, high = float(values.min()), float(values.max())
    probes = []
    for value, label in ((mean - sd, "mean - 1 SD"), (mean, "mean"), (mean + sd, "mean + 1 SD")):
        if value < low:
            value, label = low, label + " (minimum)"
        elif value > high:
            value, label = high, label + " (maximum)"
        probes.append((value, label))
    return probes


def t_test(estimate: float | np.ndarray, se: float | np.ndarray, df: float, alpha: float = 0.05) -> dict[str, Any]:
    """Two-sided t test and confidence interval for one estimate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t_value = estimate / se
    p_value = 2.0 * stats.t.sf(np.abs(t_value), df)
    half = stats.t.ppf(1.0 - alpha / 2.0, df) * se
    return {"t": t_value, "p": p_value, "ci_low": estimate - half, "ci_high": estimate + half}


def quadratic_roots(a: float, b: float, c: float) -> list[float]:
    """Real roots of a x^2 + b x + c, stable against cancellation; handles a ~ 0."""
    scale = max(abs(a), abs(b), abs(c), 1e-300)
    if abs(a) <= 1e-12 * scale:
        if abs(b) <= 1e-12 * scale:
            return []
        return [-c / b]
    disc = b * b - 4.0 * a * c
    if disc < 0:
        return []
    if disc == 0:
        return [-b / (2.0 * a)]
    q = -0.5 * (b + np.copysign(np.sqrt(disc), b))
    roots = [q / a, c / q] if q != 0 else [0.0, 0.0]
    return sorted(roots)


def johnson_neyman(
    b1: float,
    b3: float,
    v11: float,
    v13: float,
    v33: float,
    df: float,
    observed: ArrayLike,
    shift: float | np.ndarray = 0.0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Johnson–Neyman points and regions over the observed moderator range.

    ``b1``, ``b3`` and their covariance refer to the moderator as entered in the model
    (possibly centred); ``shift`` is the centring constant, so reported values are in the
    moderator's original units. ``observed`` are the moderator's values in original units.
    """
    observed = np.asarray(observed, dtype=float)
    t2 = stats.t.ppf(1.0 - alpha / 2.0, df) ** 2
    qa = b3 * b3 - t2 * v33
    qb = 2.0 * (b1 * b3 - t2 * v13)
    qc = b1 * b1 - t2 * v11
    roots = [r + shift for r in quadratic_roots(qa, qb, qc)]
    low, high = float(observed.min()), float(observed.max())

    def significant(w: float | np.ndarray) -> bool:
        wc = w - shift
        return bool(qa * wc * wc + qb * wc + qc > 0)

    n = observed.size
    points = []
    for root in roots:
        if low < root < high:
            points.append({
                "w": root,
                "pct_below": 100.0 * np.count_nonzero(observed < root) / n,
                "pct_above": 100.0 * np.count_nonzero(observed > root) / n,
            })
    edges = [low, *[p["w"] for p in points], high]
    regions = []
    for start, stop in zip(edges[:-1], edges[1:]):
        middle = (start + stop) / 2.0
        is_sig = bool(significant(middle))
        effect = b1 + b3 * (middle - shift)
        sign = ("positive" if effect > 0 else "negative") if is_sig else None
        regions.append({"from": start, "to": stop, "significant": is_sig, "sign": sign})
    return {
        "alpha": alpha,
        "points": points,
        "regions": regions,
        "roots": roots,
        "observed_range": [low, high],
    }
