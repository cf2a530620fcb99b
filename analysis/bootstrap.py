"""Percentile bootstrap of the moderation coefficients and conditional effects.

Cases (rows of the fitted design) are resampled with replacement and the model is refitted.
Centring constants and probe values stay those of the original sample, as in PROCESS.
A resample is represented by how often each case was drawn, so X'WX for a whole batch of
resamples is one matrix product with the per-case outer products: fast and exact.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from tqdm import tqdm

Seed = int | np.random.SeedSequence | None  # what np.random.default_rng accepts here

if TYPE_CHECKING:
    from analysis.models import ModerationResult


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: never with --quiet or a non-terminal stderr."""
    return not quiet and sys.stderr.isatty()


def resample_counts(rng: np.random.Generator, n_resamples: int, n: int) -> np.ndarray:
    """Times each of the n cases is drawn in each resample (rows sum to n)."""
    draws = rng.integers(0, n, size=(n_resamples, n))
    offsets = (np.arange(n_resamples) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n)


def _prepared(design: ArrayLike, response: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-case outer products and cross products of one regression, columns rescaled.

    Columns are rescaled to unit root-mean-square before the conditioning test, so a
    covariate in currency units or milliseconds does not make every resample look singular.
    """
    x = np.asarray(design, dtype=float)
    y = np.asarray(response, dtype=float)
    n, p = x.shape
    scale = np.sqrt(np.mean(x**2, axis=0))
    scale[scale == 0.0] = 1.0
    x = x / scale
    outer = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
    return outer, x * y[:, None], scale


def bootstrap_joint(regressions: Sequence[tuple[ArrayLike, ArrayLike]], n_boot: int, seed: Seed = None,
                    progress: bool = False,
                    label: str = "bootstrap") -> list[np.ndarray]:
    """Refit several regressions on the same case resamples (as a mediation model needs).

    ``regressions`` is a list of (design, response) with the same rows. Returns one array of
    coefficient draws per regression; a resample singular in any regression is NaN in all.
    """
    prepared = [_prepared(d, r) for d, r in regressions]
    n = prepared[0][0].shape[0]
    if any(outer.shape[0] != n for outer, _, _ in prepared):
        raise ValueError("the regressions must share their cases")
    sizes = [cross.shape[1] for _, cross, _ in prepared]
    rng = np.random.default_rng(seed)
    batch = int(max(1, min(n_boot, 4_000_000 // max(n, 1))))
    draws = [np.full((n_boot, p), np.nan) for p in sizes]
    with tqdm(total=n_boot, desc=label, file=sys.stderr, disable=not progress, leave=False) as bar:
        for start in range(0, n_boot, batch):
            size = min(batch, n_boot - start)
            counts = resample_counts(rng, size, n).astype(float)
            solved, ok_all = [], np.ones(size, dtype=bool)
            for (outer, cross, _), p in zip(prepared, sizes):
                xtx = (counts @ outer).reshape(size, p, p)
                xty = counts @ cross
                # A resample can be singular (e.g. every case from one condition): leave it NaN.
                ok = np.linalg.cond(xtx) < 1e12
                ok_all &= ok
                solution = np.full((size, p), np.nan)
                if ok.any():
                    solution[ok] = np.linalg.solve(xtx[ok], xty[ok][..., None])[..., 0]
                solved.append(solution)
            for target, solution in zip(draws, solved):
                solution[~ok_all] = np.nan
                target[start:start + size] = solution
            bar.update(size)
    return [d / scale for d, (_, _, scale) in zip(draws, prepared)]


def bootstrap_params(design: ArrayLike, response: ArrayLike, n_boot: int, seed: Seed = None,
                     progress: bool = False,
                     label: str = "bootstrap") -> np.ndarray:
    """Coefficients refitted on ``n_boot`` case resamples; rows of NaN for singular resamples."""
    return bootstrap_joint([(design, response)], n_boot, seed, progress, label)[0]


def percentile_interval(samples: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.nanquantile(samples, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
    return low, high


def bootstrap_moderation(result: ModerationResult, n_boot: int = 5000, seed: Seed = None,
                         progress: bool = False) -> dict[str, Any]:
    """Bootstrap a fitted ModerationResult; returns percentile CIs and stores them on the result."""
    draws = bootstrap_params(result.design, result.response, n_boot, seed, progress,
                             label=f"bootstrap {result.outcome}")
    failed = int(np.isnan(draws[:, 0]).sum())
    if failed == n_boot:
        raise ValueError(f"none of the {n_boot} bootstrap resamples of the {result.outcome} model could be "
                         "fitted (each was singular), so there are no bootstrap intervals")
    low, high = percentile_interval(draws, result.alpha)
    boot_se = np.nanstd(draws, axis=0, ddof=1)
    coefficients = {
        name: {"b": float(result.params[i]), "boot_se": float(boot_se[i]),
               "ci_low": float(low[i]), "ci_high": float(high[i])}
        for i, name in enumerate(result.names)
    }
    effects = []
    if result.conditional_effects:
        probes = [row["w"] for row in result.conditional_effects]
        rows = result.moderator_row(probes)
        gradient = np.zeros((rows.shape[0], len(result.columns)))
        gradient[:, result.index_of("focal")[0]] = 1.0
        gradient[:, result.index_of("interaction")] = rows
        effect_draws = draws @ gradient.T
        e_low, e_high = percentile_interval(effect_draws, result.alpha)
        e_se = np.nanstd(effect_draws, axis=0, ddof=1)
        for j, row in enumerate(result.conditional_effects):
            effects.append({"w": row["w"], "label": row["label"], "effect": row["effect"],
                            "boot_se": float(e_se[j]), "ci_low": float(e_low[j]),
                            "ci_high": float(e_high[j])})
    summary = {
        "n_boot": int(n_boot),
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,
        "n_failed": failed,
        "ci_level": 1.0 - result.alpha,
        "method": "percentile",
        "coefficients": coefficients,
        "conditional_effects": effects,
    }
    result.bootstrap = summary
    return summary
