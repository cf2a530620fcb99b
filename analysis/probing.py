"""Probing an interaction: conditional effects (spotlights) and Johnson–Neyman (floodlight).

For y = b0 + b1 X + b2 W + b3 XW + ..., the effect of X at W = w is theta(w) = b1 + b3 w with
var(theta) = v11 + 2 w v13 + w^2 v33. Johnson–Neyman boundaries are the w where
theta(w)^2 = t_crit^2 var(theta), a quadratic in w solved in closed form below.

The second half probes a fitted ``ModerationResult``: the probe values, the conditional effects,
the Johnson–Neyman table and, for a categorical moderator, the Holm-adjusted slope contrasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

if TYPE_CHECKING:
    from analysis.models import ModerationResult

PROCESS_PERCENTILES = (0.16, 0.50, 0.84)
PERCENTILE_LABELS = ("16th percentile", "50th percentile", "84th percentile")
PROBE_CHOICES = ("percentiles", "mean-sd")
JN_TABLE_POINTS = 21


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


def probe_points(result: ModerationResult, probe: str, at: Sequence[float] | None) -> list[tuple[Any, str]]:
    """Moderator values at which to estimate the focal effect, with readable labels."""
    if result.moderator_levels is not None:
        return [(level, str(level)) for level in result.moderator_levels]
    if at is not None and len(at) > 0:
        return [(float(v), f"{result.moderator} = {float(v):g}") for v in at]
    values = result.moderator_values
    distinct = np.unique(values)
    if distinct.size <= 2:
        return [(float(v), f"{result.moderator} = {float(v):g}") for v in distinct]
    if probe == "mean-sd":
        return mean_sd_values(values)
    return [(float(v), label) for v, label in zip(process_percentiles(values), PERCENTILE_LABELS)]


def conditional_effects(result: ModerationResult, probe: str = "percentiles",
                        at: Sequence[float] | None = None) -> list[dict[str, Any]]:
    """Effect of the focal predictor at each probe value of the moderator, with t test and CI."""
    points = probe_points(result, probe, at)
    effects, ses = result.effect_at([w for w, _ in points])
    rows = []
    for (w, label), effect, se in zip(points, effects, ses):
        tests = t_test(effect, se, result.df_resid, result.alpha)
        rows.append({"w": w, "label": label, "effect": float(effect), "se": float(se),
                     **{k: float(v) for k, v in tests.items()}})
    return rows


def extrapolation_notes(result: ModerationResult, scale: tuple[float, float] | None) -> list[str]:
    """Say which chosen probe values lie beyond the observed moderator values or its scale."""
    low, high = float(np.min(result.moderator_values)), float(np.max(result.moderator_values))
    notes = []
    for row in result.conditional_effects:
        w = float(row["w"])
        if scale is not None and not scale[0] <= w <= scale[1]:
            row["label"] += " (outside the scale)"
            notes.append(f"{result.moderator} = {w:g} is outside its scale {scale[0]:g}-{scale[1]:g}: "
                         "the effect there is an extrapolation of the linear model")
        elif not low <= w <= high:
            row["label"] += " (outside the data)"
            notes.append(f"{result.moderator} = {w:g} is outside the observed range {low:g}-{high:g}: "
                         "the effect there is an extrapolation")
    return notes


def johnson_neyman_table(result: ModerationResult, points: int = JN_TABLE_POINTS) -> list[dict[str, Any]]:
    """Conditional effect at evenly spaced moderator values over the observed range, with the
    Johnson–Neyman points added in order (as PROCESS prints it)."""
    observed = np.asarray(result.moderator_values, dtype=float)
    grid = np.linspace(observed.min(), observed.max(), points)
    boundaries = [p["w"] for p in (result.johnson_neyman or {}).get("points", [])]
    values = np.sort(np.concatenate([grid, boundaries]))
    effects, ses = result.effect_at(values)
    tests = t_test(effects, ses, result.df_resid, result.alpha)
    return [{"w": float(w), "effect": float(e), "se": float(s), "t": float(t), "p": float(pv),
             "ci_low": float(lo), "ci_high": float(hi), "jn_point": bool(np.any(np.isclose(w, boundaries)))}
            for w, e, s, t, pv, lo, hi in zip(values, effects, ses, tests["t"], tests["p"], tests["ci_low"],
                                              tests["ci_high"])]


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm's step-down adjustment: sorted p times (m - rank), made monotone, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    m = p.size
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (m - rank) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def slope_contrasts(result: ModerationResult) -> list[dict[str, Any]]:
    """Every pairwise difference of the focal slope between moderator levels, Holm-adjusted."""
    levels = result.moderator_levels
    assert levels is not None  # only a categorical moderator has slope contrasts
    rows = result.moderator_row(levels)
    interaction = result.index_of("interaction")
    out: list[dict[str, Any]] = []
    for i in range(len(levels)):
        for j in range(i + 1, len(levels)):
            gradient = np.zeros(len(result.columns))
            gradient[interaction] = rows[j] - rows[i]
            estimate = float(gradient @ result.params)
            se = float(np.sqrt(gradient @ result.cov @ gradient))
            tests = t_test(estimate, se, result.df_resid, result.alpha)
            out.append({"contrast": f"{levels[j]} - {levels[i]}", "estimate": estimate, "se": se,
                        **{k: float(v) for k, v in tests.items()}})
    for row, adjusted in zip(out, holm_adjust([r["p"] for r in out])):
        row["p_holm"] = float(adjusted)
    return out
