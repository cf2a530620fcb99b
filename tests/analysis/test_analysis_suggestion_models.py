"""Suggestion-level models against independent computations.

Cluster-robust SEs are recomputed here with the sandwich formula by hand; GEE with an
independence working correlation must give the ordinary logit estimates (and the sandwich
without small-sample factor); the mixed model's quadrature likelihood is checked against
adaptive numerical integration (scipy.integrate.quad), and its estimates against the truth of
simulated data and against the logit when there is no participant effect.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from analysis.__main__ import main
from analysis.suggestions import (
    QUADRATURE_NODES,
    fit_suggestion_models,
    gee_logit,
    mixed_logit,
    random_intercept_loglik,
    suggestion_design,
    suggestion_frame,
)

PERSONAS = ("anna", "ben", "chris")


def clustered_export(n=300, per=6, sigma=1.0, seed=4, closeness_effect=0.3):
    """Participants with ios_<persona> ratings and their suggestions, adoption with a random intercept."""
    rng = np.random.default_rng(seed)
    public = rng.integers(0, 2, n)
    holism = np.clip(np.round(rng.normal(4.5, 1.0, n), 2), 1, 7)
    ios = {p: rng.integers(1, 8, n) for p in PERSONAS}
    u = rng.normal(0, sigma, n)
    rows = []
    for i in range(n):
        for j in range(per):
            persona = PERSONAS[j % 3]
            eta = (-0.5 + 0.4 * public[i] + 0.1 * (holism[i] - 4.5) + 0.5 * public[i] * (holism[i] - 4.5)
                   + closeness_effect * (ios[persona][i] - 4) + u[i])
            adopted = rng.random() < 1 / (1 + np.exp(-eta))
            rows.append({"participant_id": f"p{i:04d}", "position": j, "attribute": f"a{j}",
                         "suggested_level": "x", "adopted": "true" if adopted else "false", "persona": persona})
    participants = pd.DataFrame({
        "participant_id": [f"p{i:04d}" for i in range(n)],
        "condition": np.where(public == 1, "public", "private"), "holism": holism,
        "conformity": 0.5, "closeness": 4.0, "evaluation": 4.0,
        **{f"ios_{p}": ios[p] for p in PERSONAS},
    })
    return participants, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    participants, suggestions = clustered_export()
    participants.to_csv(directory / "participants.csv", index=False)
    suggestions.to_csv(directory / "suggestions.csv", index=False)
    return directory


def frame_and_design(participants, suggestions, tmp_path):
    from analysis.load import read_suggestions

    path = tmp_path / "s.csv"
    suggestions.to_csv(path, index=False)
    parsed = read_suggestions(path)
    participants = participants.assign(public=(participants["condition"] == "public").astype(float))
    data, extra, _ = suggestion_frame(participants, parsed, "holism")
    design = suggestion_design(data, "holism", extra)
    y = data["adopted"].to_numpy(dtype=float)
    groups = pd.factorize(data["participant_id"])[0]
    return participants, parsed, data, design, y, groups


def logit_by_newton(x, y):
    """Plain Newton-Raphson for the logistic MLE, written here."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ beta))
        step = np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x, x.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-12:
            break
    return beta


def test_per_suggester_closeness_is_the_rating_of_that_persona(tmp_path):
    participants, suggestions = clustered_export(n=20)
    participants, parsed, data, design, _, _ = frame_and_design(participants, suggestions, tmp_path)
    assert "suggester_closeness" in design.columns
    lookup = participants.set_index("participant_id")
    for _, row in data.head(30).iterrows():
        assert row["suggester_closeness"] == lookup.loc[row["participant_id"], f"ios_{row['persona']}"]


def test_cluster_robust_se_equals_the_hand_sandwich(tmp_path):
    participants, parsed, data, design, y, groups = frame_and_design(*clustered_export(n=150), tmp_path)
    result = fit_suggestion_models(participants, parsed)
    x = design.to_numpy()
    beta = logit_by_newton(x, y)
    p = 1 / (1 + np.exp(-x @ beta))
    bread = np.linalg.inv((x * (p * (1 - p))[:, None]).T @ x)
    scores = x * (y - p)[:, None]
    per_cluster = np.zeros((groups.max() + 1, x.shape[1]))
    np.add.at(per_cluster, groups, scores)
    meat = per_cluster.T @ per_cluster
    g, n, k = per_cluster.shape[0], x.shape[0], x.shape[1]
    factor = g / (g - 1) * (n - 1) / (n - k)
    se = np.sqrt(np.diag(factor * bread @ meat @ bread))
    table = result["models"]["cluster_logit"]["coefficients"]
    for i, name in enumerate(design.columns):
        assert table[name]["b"] == pytest.approx(beta[i], abs=1e-7)
        assert table[name]["se"] == pytest.approx(se[i], rel=1e-6)

    gee = gee_logit(y, design, groups, 0.05, structure="independence")["coefficients"]
    se_plain = np.sqrt(np.diag(bread @ meat @ bread))
    for i, name in enumerate(design.columns):
        assert gee[name]["b"] == pytest.approx(beta[i], abs=1e-6)
        assert gee[name]["se"] == pytest.approx(se_plain[i], rel=1e-4)


def test_gee_exchangeable_differs_from_independence_and_estimates_a_positive_correlation(tmp_path):
    participants, parsed, *_ = frame_and_design(*clustered_export(n=200, sigma=1.5), tmp_path)
    result = fit_suggestion_models(participants, parsed)
    gee = result["models"]["gee_exchangeable"]
    assert gee["working_correlation"] > 0.1
    logit = result["models"]["cluster_logit"]["coefficients"]
    assert gee["coefficients"]["public"]["b"] != pytest.approx(logit["public"]["b"], abs=1e-6)


def test_quadrature_likelihood_matches_numerical_integration(tmp_path):
    participants, parsed, data, design, y, groups = frame_and_design(*clustered_export(n=8, per=5), tmp_path)
    x = design.to_numpy()
    beta = np.array([-0.3, 0.5, 0.05, 0.2, 0.25])
    sigma = 1.3
    nodes, weights = np.polynomial.hermite.hermgauss(QUADRATURE_NODES)
    ours = random_intercept_loglik(np.append(beta, np.log(sigma)), x, y, groups, groups.max() + 1, nodes,
                                   np.log(weights) - 0.5 * np.log(np.pi))
    reference = 0.0
    for g in range(groups.max() + 1):
        rows = groups == g
        eta, yy = x[rows] @ beta, y[rows]

        def integrand(b, eta=eta, yy=yy):
            p = 1 / (1 + np.exp(-(eta + b)))
            return np.prod(p**yy * (1 - p) ** (1 - yy)) * np.exp(-b * b / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))

        reference += np.log(integrate.quad(integrand, -12 * sigma, 12 * sigma, epsabs=1e-13)[0])
    assert ours == pytest.approx(reference, abs=1e-8)


def test_mixed_logit_recovers_the_simulated_effects_and_random_intercept_sd(tmp_path):
    participants, parsed, data, design, y, groups = frame_and_design(
        *clustered_export(n=600, per=8, sigma=1.0, seed=9), tmp_path)
    fit = mixed_logit(y, design, groups, 0.05)
    b = {k: v["b"] for k, v in fit["coefficients"].items()}
    se = {k: v["se"] for k, v in fit["coefficients"].items()}
    # truth on the raw holism scale: intercept -0.5 - 0.45, holism 0.1, public 0.4 - 2.25, public:holism 0.5
    truth = {"public:holism": 0.5, "holism": 0.1, "suggester_closeness": 0.3}
    for name, value in truth.items():
        assert abs(b[name] - value) < 3.5 * se[name]
    assert 0.75 < fit["random_intercept_sd"] < 1.3


def test_mixed_logit_without_a_participant_effect_is_close_to_the_logit(tmp_path):
    participants, parsed, data, design, y, groups = frame_and_design(
        *clustered_export(n=300, per=6, sigma=0.0, seed=2), tmp_path)
    fit = mixed_logit(y, design, groups, 0.05)
    logit = logit_by_newton(design.to_numpy(), y)
    for i, name in enumerate(design.columns):
        assert fit["coefficients"][name]["b"] == pytest.approx(logit[i], abs=0.05 + 0.1 * abs(logit[i]))
    assert fit["random_intercept_sd"] < 0.4


def test_suggestions_command_json(export_dir, capsys):
    assert main(["suggestions", str(export_dir), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["formula"] == "adopted ~ public * holism + suggester_closeness"
    assert document["n"] == 300 * 6 and document["n_participants"] == 300
    assert set(document["models"]) == {"cluster_logit", "gee_exchangeable", "mixed_logit"}
    for model in document["models"].values():
        assert "estimator" in model
        assert set(model["coefficients"]) == {"Intercept", "public", "holism", "public:holism",
                                              "suggester_closeness"}


def test_suggestions_command_without_closeness_and_text_output(export_dir, capsys):
    assert main(["suggestions", str(export_dir), "--closeness", "none"]) == 0
    out = capsys.readouterr().out
    assert "GEE, exchangeable" in out and "Gauss-Hermite" in out and "suggester_closeness" not in out


def test_suggestions_command_names_a_missing_file(tmp_path, capsys):
    (tmp_path / "participants.csv").write_text("participant_id\n")
    assert main(["suggestions", str(tmp_path)]) == 2
    assert "suggestions.csv" in capsys.readouterr().err


def test_likelihood_gradient_matches_finite_differences(tmp_path):
    participants, parsed, data, design, y, groups = frame_and_design(*clustered_export(n=30, per=4), tmp_path)
    x = design.to_numpy()
    nodes, weights = np.polynomial.hermite.hermgauss(QUADRATURE_NODES)
    log_weights = np.log(weights) - 0.5 * np.log(np.pi)
    theta = np.array([-0.2, 0.3, 0.05, 0.1, 0.2, np.log(0.8)])
    _, grad = random_intercept_loglik(theta, x, y, groups, groups.max() + 1, nodes, log_weights, gradient=True)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = 1e-6
        numeric = (random_intercept_loglik(theta + e, x, y, groups, groups.max() + 1, nodes, log_weights)
                   - random_intercept_loglik(theta - e, x, y, groups, groups.max() + 1, nodes, log_weights)) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)
