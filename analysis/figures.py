"""Publication figures: interaction (simple slopes) and floodlight (Johnson–Neyman) plots.

Each figure is written as SVG and PDF beside a 300-dpi PNG. Axes name the construct and its
scale (from the export's codebook), lines differ in style as well as colour, the raw data are
shown jittered and light, lines and bands stay within the observed range, every interval
states its level, and a banner marks figures drawn from simulated participants.
The Agg backend is selected before pyplot is imported, so plotting works without a display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from analysis.probing import process_percentiles  # noqa: E402

if TYPE_CHECKING:
    from analysis.models import ModerationResult

GRID_POINTS = 200
PNG_DPI = 300
LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D")
# Construct names used when the codebook does not give one.
CONSTRUCTS = {
    "holism": "Holistic thinking",
    "conformity": "Conformity (share of suggestions adopted)",
    "closeness": "Closeness to the suggesters",
    "evaluation": "Evaluation of the final shirt",
    "public": "Visibility",
    "relation": "Relation to the suggesters",
}
# rc settings; dict[Any, Any] because matplotlib types the keys as literals
STYLE: dict[Any, Any] = {"svg.fonttype": "none", "pdf.fonttype": 42, "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False}


@dataclass
class FigureLabels:
    """What the axes say: construct names (codebook meanings) and scale ranges per column."""

    meanings: dict[str, Any] = field(default_factory=dict)
    scales: dict[str, Any] = field(default_factory=dict)
    simulated: bool = False

    def axis(self, column: str) -> str:
        meaning = self.meanings.get(column) or ""
        name = meaning.split(":")[0].split(";")[0].strip().rstrip(".") if meaning else ""
        name = name if name and len(name) <= 60 else CONSTRUCTS.get(column, column)
        scale = self.scales.get(column)
        if scale:
            low, high = scale["range"]
            return f"{name} ({low:g}–{high:g})"
        return name


def ci_text(alpha: float) -> str:
    return f"{100 * (1 - alpha):g} % CI"


def focal_levels(result: ModerationResult) -> list[tuple[float, str]]:
    """Lines to draw: both values of a dichotomous focal predictor, else its 16/50/84th percentiles."""
    distinct = np.unique(result.focal_values)
    if distinct.size <= 2:
        if result.focal == "public" and set(distinct) <= {0.0, 1.0}:
            names = {0.0: "private", 1.0: "public"}
            return [(v, names[v]) for v in distinct]
        return [(v, f"{result.focal} = {v:g}") for v in distinct]
    values = process_percentiles(result.focal_values)
    return [(v, f"{result.focal} = {v:.3g} ({q}th pct.)") for v, q in zip(values, (16, 50, 84))]


def save_all(fig: Any, path: str | Path) -> Path:
    """Write PNG (300 dpi), SVG and PDF with the same stem; returns the PNG path."""
    path = Path(path).with_suffix(".png")
    fig.savefig(path, dpi=PNG_DPI)
    fig.savefig(path.with_suffix(".svg"))
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)
    return path


def banner(fig: Any, labels: FigureLabels) -> None:
    if labels.simulated:
        fig.suptitle("SIMULATED DATA - not a result about people", color="#b00020", fontweight="bold",
                     fontsize=9)


def jitter(values: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    return values + rng.uniform(-amount, amount, size=values.shape)


def interaction_plot(result: ModerationResult, path: str | Path, labels: FigureLabels | None = None) -> Path:
    """Predicted outcome across the moderator per focal level, bands at the model's alpha,
    drawn over the observed moderator range only, raw data jittered behind."""
    labels = labels or FigureLabels()
    t_crit = stats.t.ppf(1.0 - result.alpha / 2.0, result.df_resid)
    rng = np.random.default_rng(0)  # jitter only; fixed so figures are reproducible
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 4.0), layout="constrained")
        levels = focal_levels(result)
        binary_focal = np.unique(result.focal_values).size <= 2
        if result.moderator_levels is None:
            w = np.asarray(result.moderator_values, dtype=float)
            spread = np.ptp(w) or 1.0
            steps = np.diff(np.unique(w))
            amount = 0.3 * float(steps.min()) if steps.size and np.unique(w).size < 30 else 0.0
            for j, (x_value, label) in enumerate(levels):
                colour = f"C{j}"
                if binary_focal:
                    rows = result.focal_values == x_value
                    ax.scatter(jitter(w[rows], rng, amount), jitter(result.response[rows], rng, 0.01 * np.ptp(
                        result.response)), s=6, alpha=0.25, color=colour, marker=MARKERS[j % 4], linewidths=0)
                grid = np.linspace(w.min(), w.max(), GRID_POINTS)
                fitted, se = result.predict(x_value, grid)
                ax.plot(grid, fitted, color=colour, linestyle=LINE_STYLES[j % 4], linewidth=1.6, label=label)
                ax.fill_between(grid, fitted - t_crit * se, fitted + t_crit * se, color=colour, alpha=0.15,
                                linewidth=0)
            if not binary_focal:
                ax.scatter(jitter(w, rng, amount), result.response, s=6, alpha=0.2, color="grey", linewidths=0)
            ax.set_xlim(w.min() - 0.02 * spread, w.max() + 0.02 * spread)
        else:
            positions = np.arange(len(result.moderator_levels))
            width = 0.18
            for j, (x_value, label) in enumerate(levels):
                fitted, se = result.predict(x_value, result.moderator_levels)
                offset = (j - (len(levels) - 1) / 2) * width
                if binary_focal:
                    rows = result.focal_values == x_value
                    codes = np.array([result.moderator_levels.index(v) for v in result.moderator_values[rows]])
                    ax.scatter(jitter(codes + offset, rng, width / 3), result.response[rows], s=6, alpha=0.2,
                               color=f"C{j}", linewidths=0)
                ax.errorbar(positions + offset, fitted, yerr=t_crit * se, marker=MARKERS[j % 4], capsize=4,
                            linestyle="none", color=f"C{j}", label=label)
            ax.set_xticks(positions, result.moderator_levels)
        ax.set_xlabel(labels.axis(result.moderator))
        ax.set_ylabel(labels.axis(result.outcome))
        ax.set_title(f"Predicted {result.outcome} by {result.focal} and {result.moderator} "
                     f"(bands: {ci_text(result.alpha)})", fontsize=9)
        ax.legend(title=labels.axis(result.focal) if result.focal != "public" else "Visibility", frameon=False)
        banner(fig, labels)
        return save_all(fig, path)


def floodlight_plot(result: ModerationResult, path: str | Path,
                    labels: FigureLabels | None = None) -> Path | None:
    """Conditional effect of the focal predictor across the observed moderator range with its
    band at the model's alpha, the zero line and the Johnson–Neyman boundaries."""
    if result.moderator_levels is not None or result.johnson_neyman is None:
        return None
    labels = labels or FigureLabels()
    observed = np.asarray(result.moderator_values, dtype=float)
    low, high = float(observed.min()), float(observed.max())
    grid = np.linspace(low, high, GRID_POINTS)
    effect, se = result.effect_at(grid)
    t_crit = stats.t.ppf(1.0 - result.alpha / 2.0, result.df_resid)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 4.0), layout="constrained")
        ax.plot(grid, effect, color="C0", linestyle="-", label=f"effect of {result.focal}")
        ax.fill_between(grid, effect - t_crit * se, effect + t_crit * se, color="C0", alpha=0.18, linewidth=0,
                        label=ci_text(result.alpha))
        ax.axhline(0.0, color="black", linewidth=0.8, linestyle=":")
        for k, point in enumerate(result.johnson_neyman["points"]):
            ax.axvline(point["w"], color="C3", linestyle="--",
                       label=f"Johnson-Neyman boundary (alpha = {result.alpha:g})" if k == 0 else None)
        ax.plot(observed, np.full(observed.shape, ax.get_ylim()[0]), "|", color="black", alpha=0.2,
                markersize=8)
        ax.set_xlim(low, high)
        ax.set_xlabel(labels.axis(result.moderator))
        ax.set_ylabel(f"Conditional effect of {result.focal} on {result.outcome}")
        ax.set_title(f"Floodlight: effect of {result.focal} across {result.moderator} "
                     f"(band: {ci_text(result.alpha)})", fontsize=9)
        ax.legend(frameon=False, fontsize="small")
        banner(fig, labels)
        return save_all(fig, path)
