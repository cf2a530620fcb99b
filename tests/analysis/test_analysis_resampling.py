"""Bootstrap, robustness GLMs and power simulation against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.bootstrap import bootstrap_moderation, bootstrap_params, resample_counts
from analysis.models import fit_moderation
from analysis.power import analytic_power, interaction_t, simulate_designs, simulate_power
from analysis.robustness import adoption_binomial, suggestion_logit


@pytest.fixture
def generic():
    rng = np.random.default_rng(11)
    n = 120
    x, m = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": 1 + x + 0.5 * m + 0.4 * x * m + rng.normal(size=n)})


def test_resample_counts_are_draws_with_replacement():
    counts = resample_counts(np.random.default_rng(0), 50, 30)
    assert counts.shape == (50, 30) and (counts.sum(axis=1) == 30).all()
    assert (counts == 0).any()  # some cases are left out of a resample


def test_bootstrap_refits_equal_least_squares_on_the_resampled_rows(generic):
    """The weighted shortcut must equal refitting on explicitly resampled data."""
    result = fit_moderation(generic, "y", "x", "m")
    draws = bootstrap_params(result.design, result.response, 20, seed=5)
    counts = resample_counts(np.random.default_rng(5), 20, result.n)
    for draw, count in zip(draws, counts):
        rows = np.repeat(np.arange(result.n), count)
        expected, *_ = np.linalg.lstsq(result.design[rows], result.response[rows], rcond=None)
        assert draw == pytest.approx(expected, rel=1e-8)


def test_bootstrap_is_reproducible_and_close_to_robust_theory(generic):
    result = fit_moderation(generic, "y", "x", "m", cov_type="HC3")
    first = bootstrap_moderation(result, 1000, seed=1)
    again = bootstrap_moderation(fit_moderation(generic, "y", "x", "m"), 1000, seed=1)
    assert first == again
    assert first["n_failed"] == 0
    table = result.coefficient_table()
    for term, boot in first["coefficients"].items():
        assert boot["ci_low"] < table[term]["b"] < boot["ci_high"]
        assert boot["boot_se"] == pytest.approx(table[term]["se"], rel=0.25)
    assert len(first["conditional_effects"]) == 3


def test_bootstrap_marks_singular_resamples():
    design = np.column_stack([np.ones(6), [0, 0, 0, 0, 0, 1.0]])
    draws = bootstrap_params(design, np.arange(6.0), 200, seed=2)
    failed = np.isnan(draws[:, 0])
    assert failed.any() and (~failed).any()


def test_suggestion_logit_matches_hand_cluster_sandwich(participants_frame, make_suggestions):
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float))
    suggestions = make_suggestions(participants_frame).assign(
        adopted=lambda d: (d["adopted"] == "true").astype(float))
    result = suggestion_logit(frame, suggestions)
    merged = suggestions.merge(frame, on="participant_id", suffixes=("", "_p"))
    X = np.column_stack([np.ones(len(merged)), merged["public"], merged["holism"],
                         merged["public"] * merged["holism"]])
    y = merged["adopted"].to_numpy()
    # Newton-Raphson for the logistic MLE, then the clustered sandwich with the usual
    # small-sample factor G/(G-1) * (N-1)/(N-K).
    b = np.zeros(4)
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ b))
        b = b + np.linalg.solve(X.T @ (X * (p * (1 - p))[:, None]), X.T @ (y - p))
    p = 1 / (1 + np.exp(-X @ b))
    bread = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    scores = pd.DataFrame(X * (y - p)[:, None]).groupby(merged["participant_id"].to_numpy()).sum().to_numpy()
    g, n, k = len(scores), len(y), 4
    cov = bread @ (scores.T @ scores) @ bread * g / (g - 1) * (n - 1) / (n - k)
    terms = ["Intercept", "public", "holism", "public:holism"]
    assert [result["coefficients"][t]["b"] for t in terms] == pytest.approx(b, rel=1e-6)
    assert [result["coefficients"][t]["se"] for t in terms] == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-6)
    assert result["n_clusters"] == g


def test_binomial_out_of_k_has_the_same_estimates_as_the_suggestion_level_model(
        participants_frame, make_suggestions):
    """Same likelihood, grouped: the point estimates must coincide."""
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float))
    suggestions = make_suggestions(participants_frame).assign(
        adopted=lambda d: (d["adopted"] == "true").astype(float))
    logit = suggestion_logit(frame, suggestions)
    from_counts = adoption_binomial(frame)
    from_rows = adoption_binomial(frame.drop(columns=["n_adopted", "n_suggestions"]), suggestions)
    for term in ("Intercept", "public", "holism", "public:holism"):
        assert from_counts["coefficients"][term]["b"] == pytest.approx(logit["coefficients"][term]["b"], rel=1e-6)
        assert from_rows["coefficients"][term]["b"] == pytest.approx(from_counts["coefficients"][term]["b"], rel=1e-9)
    assert from_counts["n_suggestions"] == len(suggestions)
    assert "skipped" in adoption_binomial(frame.drop(columns=["n_adopted", "n_suggestions"]), None)


def test_power_interaction_t_equals_statsmodels_hc3():
    design, outcome = simulate_designs("h1", 0.05, 60, 3, np.random.default_rng(4))
    t_values = interaction_t(design, outcome, "HC3")
    for i in range(3):
        reference = sm.OLS(outcome[i], design[i]).fit(cov_type="HC3", use_t=True)
        assert t_values[i] == pytest.approx(reference.tvalues[3], rel=1e-9)
    assert interaction_t(design, outcome, "OLS")[0] == pytest.approx(
        sm.OLS(outcome[0], design[0]).fit().tvalues[3], rel=1e-9)


@pytest.mark.parametrize("hypothesis", ["h1", "h2"])
def test_power_simulation_effect_size_and_type_one_error(hypothesis):
    """f2 is recovered in large samples, and with no effect the rejection rate is alpha."""
    design, outcome = simulate_designs(hypothesis, 0.1, 20_000, 1, np.random.default_rng(9))
    X, y = design[0], outcome[0]
    sse = [np.sum((y - d @ np.linalg.lstsq(d, y, rcond=None)[0]) ** 2) for d in (X[:, :3], X)]
    assert (sse[0] - sse[1]) / sse[1] == pytest.approx(0.1, abs=0.015)
    (null,) = simulate_power(hypothesis, 0.0, [60], 2000, seed=3, cov_type="HC3")
    assert null["power"] == pytest.approx(0.05, abs=0.02)


def test_power_grows_with_n_and_tracks_the_analytic_value():
    rows = simulate_power("h1", 0.05, [60, 300], 1500, seed=1, cov_type="OLS")
    assert rows[0]["power"] < rows[1]["power"]
    for row in rows:
        assert row["power"] == pytest.approx(row["analytic_ols"], abs=0.06)
    assert analytic_power(0.02, 395) == pytest.approx(0.80, abs=0.01)  # Cohen's classic N for f2 = .02
    again = simulate_power("h1", 0.05, [60, 300], 1500, seed=1, cov_type="OLS")
    assert again == rows
