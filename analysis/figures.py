"""Interaction and floodlight (Johnson–Neyman) plots as PNG files.

The Agg backend is selected before pyplot is imported, so plotting works on servers and in
tests without a display.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from analysis.probing import process_percentiles  # noqa: E402

GRID_POINTS = 200


def focal_levels(result) -> list[tuple[float, str]]:
    """Lines to draw: both values of a dichotomous focal predictor, else its 16/50/84th percentiles."""
    distinct = np.unique(result.focal_values)
    if distinct.size <= 2:
        if result.focal == "public" and set(distinct) <= {0.0, 1.0}:
            names = {0.0: "private", 1.0: "public"}
            return [(v, names[v]) for v in distinct]
        return [(v, f"{result.focal} = {v:g}") for v in distinct]
    values = process_percentiles(result.focal_values)
    return [(v, f"{result.focal} = {v:.3g} ({q}th pct.)") for v, q in zip(values, (16, 50, 84))]


def interaction_plot(result, path) -> Path:
    """Predicted outcome across the moderator for each level of the focal predictor, 95 % bands."""
    t_crit = stats.t.ppf(1.0 - result.alpha / 2.0, result.df_resid)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    levels = focal_levels(result)
    if result.moderator_levels is None:
        grid = np.linspace(result.moderator_values.min(), result.moderator_values.max(), GRID_POINTS)
        for x_value, label in levels:
            fitted, se = result.predict(x_value, grid)
            line, = ax.plot(grid, fitted, label=label)
            ax.fill_between(grid, fitted - t_crit * se, fitted + t_crit * se, color=line.get_color(), alpha=0.2)
    else:
        positions = np.arange(len(result.moderator_levels))
        width = 0.12
        for j, (x_value, label) in enumerate(levels):
            fitted, se = result.predict(x_value, result.moderator_levels)
            offset = (j - (len(levels) - 1) / 2) * width
            ax.errorbar(positions + offset, fitted, yerr=t_crit * se, marker="o", capsize=4, label=label)
        ax.set_xticks(positions, result.moderator_levels)
    ax.set_xlabel(result.moderator)
    ax.set_ylabel(f"predicted {result.outcome}")
    ax.set_title(f"{result.outcome}: {result.focal} x {result.moderator} (95 % CI)")
    ax.legend(title=result.focal, frameon=False)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def floodlight_plot(result, path) -> Path | None:
    """Conditional effect of the focal predictor across the moderator with its 95 % band, the
    zero line, the Johnson–Neyman boundaries and the observed range (outside it is shaded)."""
    if result.moderator_levels is not None or result.johnson_neyman is None:
        return None
    observed = result.moderator_values
    low, high = float(observed.min()), float(observed.max())
    pad = 0.1 * (high - low)
    grid = np.linspace(low - pad, high + pad, GRID_POINTS)
    effect, se = result.effect_at(grid)
    t_crit = stats.t.ppf(1.0 - result.alpha / 2.0, result.df_resid)
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    ax.plot(grid, effect, color="C0", label=f"effect of {result.focal}")
    ax.fill_between(grid, effect - t_crit * se, effect + t_crit * se, color="C0", alpha=0.2,
                    label=f"{100 * (1 - result.alpha):g} % CI")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvspan(low - pad, low, color="grey", alpha=0.15, label="outside observed range")
    ax.axvspan(high, high + pad, color="grey", alpha=0.15)
    for k, point in enumerate(result.johnson_neyman["points"]):
        ax.axvline(point["w"], color="C3", linestyle="--",
                   label="Johnson-Neyman boundary" if k == 0 else None)
    ax.plot(observed, np.full(observed.shape, ax.get_ylim()[0]), "|", color="black", alpha=0.3,
            markersize=8)
    ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel(result.moderator)
    ax.set_ylabel(f"conditional effect of {result.focal} on {result.outcome}")
    ax.set_title(f"Floodlight: {result.focal} effect across {result.moderator}")
    ax.legend(frameon=False, fontsize="small")
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
