"""Spotlight values and the closed-form Johnson–Neyman solution against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.models import fit_moderation
from analysis.probing import johnson_neyman, mean_sd_values, process_percentiles, quadratic_roots


def position_percentile(values, p):
    """The value at position p(n+1) of the sorted data, interpolating, clamped to the ends."""
    ordered = np.sort(values)
    position = p * (len(ordered) + 1)
    if position <= 1:
        return ordered[0]
    if position >= len(ordered):
        return ordered[-1]
    below = int(np.floor(position))
    return ordered[below - 1] + (position - below) * (ordered[below] - ordered[below - 1])


@pytest.mark.parametrize("n", [5, 10, 37, 211])
def test_process_percentiles_follow_the_position_rule(n):
    values = np.random.default_rng(n).normal(size=n)
    expected = [position_percentile(values, p) for p in (0.16, 0.5, 0.84)]
    assert process_percentiles(values) == pytest.approx(expected, rel=1e-12)


def test_mean_sd_probes_are_clamped_to_the_observed_range():
    values = np.array([1, 1, 1, 1, 1, 1, 1, 2, 7, 7.0])
    probes = mean_sd_values(values)
    mean, sd = values.mean(), values.std(ddof=1)
    assert mean - sd < 1
    assert probes[0] == (1.0, "mean - 1 SD (minimum)")
    assert probes[1][0] == pytest.approx(mean)
    assert probes[2][0] == pytest.approx(mean + sd)


def test_quadratic_roots_cases():
    assert quadratic_roots(1.0, -3.0, 2.0) == pytest.approx([1.0, 2.0])
    assert quadratic_roots(1.0, 0.0, 1.0) == []
    assert quadratic_roots(0.0, 2.0, -4.0) == pytest.approx([2.0])
    assert quadratic_roots(1e-20, 2.0, -4.0) == pytest.approx([2.0])
    assert quadratic_roots(1.0, -2.0, 1.0) == pytest.approx([1.0])
    # cancellation-prone case: roots 1e-8 and 1e8
    assert quadratic_roots(1.0, -(1e8 + 1e-8), 1.0) == pytest.approx([1e-8, 1e8], rel=1e-9)


def scan_boundaries(b1, b3, v11, v13, v33, df, low, high, alpha=0.05, points=200_001):
    """Where |t(w)| crosses the critical value on a fine grid (the brute-force floodlight)."""
    grid = np.linspace(low, high, points)
    t = (b1 + b3 * grid) / np.sqrt(v11 + 2 * grid * v13 + grid**2 * v33)
    significant = np.abs(t) > stats.t.ppf(1 - alpha / 2, df)
    changes = np.flatnonzero(np.diff(significant.astype(int)))
    return [(grid[i] + grid[i + 1]) / 2 for i in changes], significant, grid


CASES = {
    # name: (b1, b3, v11, v13, v33, observed range)
    "two roots, significant at both ends": (-0.562, 0.201, 0.0475, -0.0112, 0.00305, (1, 9)),
    "no roots": (0.1, 0.0, 1.0, 0.0, 1.0, (0, 10)),
    "one root in range": (-0.562, 0.201, 0.0475, -0.0112, 0.00305, (2, 9)),
    "significant band in the middle": (1.0, 0.1, 0.04, 0.0, 0.04, (-20, 20)),
    "significant everywhere": (5.0, 0.01, 0.01, 0.0, 0.0001, (0, 7)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_johnson_neyman_matches_a_grid_scan(name):
    b1, b3, v11, v13, v33, (low, high) = CASES[name]
    df = 200
    observed = np.linspace(low, high, 101)
    jn = johnson_neyman(b1, b3, v11, v13, v33, df, observed)
    scanned, significant, grid = scan_boundaries(b1, b3, v11, v13, v33, df, low, high)
    step = grid[1] - grid[0]
    assert [p["w"] for p in jn["points"]] == pytest.approx(scanned, abs=step)
    # Regions tile the observed range and agree with the scan at their midpoints.
    assert jn["regions"][0]["from"] == low and jn["regions"][-1]["to"] == high
    for region in jn["regions"]:
        middle = (region["from"] + region["to"]) / 2
        assert region["significant"] == significant[np.searchsorted(grid, middle)]
        if region["significant"]:
            assert region["sign"] == ("positive" if b1 + b3 * middle > 0 else "negative")
        else:
            assert region["sign"] is None


def test_johnson_neyman_case_shapes():
    shapes = {}
    for name, (b1, b3, v11, v13, v33, (low, high)) in CASES.items():
        jn = johnson_neyman(b1, b3, v11, v13, v33, 200, np.linspace(low, high, 101))
        shapes[name] = [r["significant"] for r in jn["regions"]]
    assert shapes["no roots"] == [False]
    assert shapes["one root in range"] == [False, True]
    assert shapes["significant band in the middle"] == [False, True, False]
    assert shapes["two roots, significant at both ends"] == [True, False, True]
    assert shapes["significant everywhere"] == [True]


def test_johnson_neyman_share_of_cases_below_and_above():
    observed = np.arange(1, 11, dtype=float)  # 1..10
    b1, b3, v11, v13, v33, _ = CASES["one root in range"]
    jn = johnson_neyman(b1, b3, v11, v13, v33, 200, observed)
    assert jn["points"]
    for point in jn["points"]:
        assert point["pct_below"] == pytest.approx(100 * np.mean(observed < point["w"]))
        assert point["pct_above"] == pytest.approx(100 * np.mean(observed > point["w"]))


def test_johnson_neyman_on_a_fitted_model_matches_scanning_its_t(participants_frame):
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float))
    result = fit_moderation(frame, "evaluation", "conformity", "closeness", cov_type="HC4")
    grid = np.linspace(frame["closeness"].min(), frame["closeness"].max(), 60_001)
    effect, se = result.effect_at(grid)
    significant = np.abs(effect / se) > stats.t.ppf(0.975, result.df_resid)
    changes = np.flatnonzero(np.diff(significant.astype(int)))
    scanned = [(grid[i] + grid[i + 1]) / 2 for i in changes]
    assert len(scanned) >= 1
    assert [p["w"] for p in result.johnson_neyman["points"]] == pytest.approx(scanned, abs=grid[1] - grid[0])


def test_johnson_neyman_alpha_is_respected():
    b1, b3, v11, v13, v33, (low, high) = CASES["two roots, significant at both ends"]
    observed = np.linspace(low, high, 101)
    strict = johnson_neyman(b1, b3, v11, v13, v33, 200, observed, alpha=0.01)
    loose = johnson_neyman(b1, b3, v11, v13, v33, 200, observed, alpha=0.10)
    assert strict["alpha"] == 0.01
    # A stricter alpha widens the non-significant middle region.
    assert len(strict["roots"]) == len(loose["roots"]) == 2
    assert strict["roots"][0] < loose["roots"][0]
    assert strict["roots"][1] > loose["roots"][1]


def test_moderator_with_two_values_is_probed_at_both_and_has_no_johnson_neyman():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=80), "w": rng.integers(0, 2, 80).astype(float)})
    frame["y"] = frame["x"] * (1 + frame["w"]) + rng.normal(size=80)
    result = fit_moderation(frame, "y", "x", "w")
    assert [r["w"] for r in result.conditional_effects] == [0.0, 1.0]
    assert result.johnson_neyman is None
