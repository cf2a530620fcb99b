"""H2's moderator chosen by the analyst, multicategorical codings with Holm-adjusted slope
contrasts, the Johnson–Neyman table and the diagnostics, each against an independent computation
(separate per-group least squares, statsmodels formulas, t_test, het_breuschpagan, OLSInfluence,
variance_inflation_factor, multipletests)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import OLSInfluence, variance_inflation_factor

from analysis.__main__ import main
from analysis.diagnostics import model_diagnostics
from analysis.models import CODINGS, fit_moderation, holm_adjust


def three_groups(n=360, seed=5):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a_friend", "b_acquaintance", "c_stranger"], n)
    conformity = rng.random(n)
    slope = pd.Series(group).map({"a_friend": 1.2, "b_acquaintance": 0.4, "c_stranger": -0.3}).to_numpy()
    evaluation = 4 + slope * conformity + 0.2 * (group == "c_stranger") + rng.normal(0, 0.8 + conformity, n)
    return pd.DataFrame({"participant_id": [f"p{i}" for i in range(n)], "group": group,
                         "conformity": conformity, "evaluation": evaluation})


def within_group_slopes(data):
    slopes = {}
    for level, part in data.groupby("group"):
        design = np.column_stack([np.ones(len(part)), part["conformity"]])
        slopes[level] = np.linalg.lstsq(design, part["evaluation"].to_numpy(), rcond=None)[0][1]
    return slopes


@pytest.mark.parametrize("coding", CODINGS)
def test_each_coding_gives_the_within_group_slopes_and_its_own_contrasts(coding):
    data = three_groups()
    theta = within_group_slopes(data)
    levels = sorted(theta)
    t = np.array([theta[lv] for lv in levels])
    result = fit_moderation(data, "evaluation", "conformity", "group", coding=coding)
    effects = {row["w"]: row["effect"] for row in result.conditional_effects}
    for level in levels:
        assert effects[level] == pytest.approx(theta[level], abs=1e-9)
    table = result.coefficient_table()
    products = [table[name]["b"] for name in result.interaction["terms"]]
    expected = {
        "indicator": [t[1] - t[0], t[2] - t[0]],
        "sequential": [t[1] - t[0], t[2] - t[1]],
        "helmert": [t[1:].mean() - t[0], t[2] - t[1]],  # later levels minus level j, as PROCESS
        "effect": [t[1] - t.mean(), t[2] - t.mean()],
    }[coding]
    assert products == pytest.approx(expected, abs=1e-9)
    # the joint test of the interaction does not depend on the coding
    reference = fit_moderation(data, "evaluation", "conformity", "group", coding="indicator")
    assert result.interaction["f"] == pytest.approx(reference.interaction["f"], rel=1e-9)


def test_pairwise_slope_contrasts_match_statsmodels_and_holm():
    data = three_groups()
    result = fit_moderation(data, "evaluation", "conformity", "group", cov_type="HC3")
    fit = smf.ols("evaluation ~ conformity * C(group)", data).fit(cov_type="HC3", use_t=True)
    names = fit.params.index
    b, c = "conformity:C(group)[T.b_acquaintance]", "conformity:C(group)[T.c_stranger]"
    vectors = {"b_acquaintance - a_friend": {b: 1}, "c_stranger - a_friend": {c: 1},
               "c_stranger - b_acquaintance": {c: 1, b: -1}}
    rows = {r["contrast"]: r for r in result.slope_contrasts}
    assert set(rows) == set(vectors)
    raw = []
    for label, weights in vectors.items():
        test = fit.t_test(np.array([weights.get(n, 0) for n in names], dtype=float))
        assert rows[label]["estimate"] == pytest.approx(float(test.effect[0]), abs=1e-9)
        assert rows[label]["se"] == pytest.approx(float(test.sd[0, 0]), rel=1e-8)
        assert rows[label]["p"] == pytest.approx(float(test.pvalue), rel=1e-6)
        raw.append(rows[label]["p"])
    holm = multipletests(raw, method="holm")[1]
    assert [rows[label]["p_holm"] for label in vectors] == pytest.approx(list(holm), rel=1e-12)


def test_holm_adjustment_matches_statsmodels_on_ties_and_caps():
    p = [0.01, 0.04, 0.03, 0.04, 0.5, 0.9]
    assert list(holm_adjust(p)) == pytest.approx(list(multipletests(p, method="holm")[1]))


def test_johnson_neyman_table_matches_statsmodels_t_tests(make_participants):
    data = make_participants(300, seed=8)
    result = fit_moderation(data, "evaluation", "conformity", "closeness", cov_type="HC3")
    fit = smf.ols("evaluation ~ conformity * closeness", data).fit(cov_type="HC3", use_t=True)
    table = result.johnson_neyman["table"]
    assert table[0]["w"] == data["closeness"].min() and table[-1]["w"] == data["closeness"].max()
    assert len(table) == 21 + len(result.johnson_neyman["points"])
    for row in table:
        test = fit.t_test(np.array([0.0, 1.0, 0.0, row["w"]]))
        assert row["effect"] == pytest.approx(float(test.effect[0]), abs=1e-10)
        assert row["se"] == pytest.approx(float(test.sd[0, 0]), rel=1e-8)
        if row["jn_point"]:
            assert row["p"] == pytest.approx(0.05, abs=1e-8)


def test_diagnostics_match_statsmodels(make_participants):
    data = make_participants(250, seed=3)
    data["public"] = (data["condition"] == "public").astype(float)
    result = fit_moderation(data, "conformity", "public", "holism")
    diag = model_diagnostics(result, (0.0, 1.0))
    fit = smf.ols("conformity ~ public * holism", data).fit()
    lm, lm_p, _, _ = het_breuschpagan(fit.resid, fit.model.exog)
    assert diag["heteroskedasticity"]["lm"] == pytest.approx(lm, rel=1e-9)
    assert diag["heteroskedasticity"]["p"] == pytest.approx(lm_p, rel=1e-8)
    influence = OLSInfluence(fit)
    cooks = influence.cooks_distance[0]
    assert diag["influence"]["max_cooks_distance"] == pytest.approx(cooks.max(), rel=1e-9)
    assert diag["influence"]["max_leverage"] == pytest.approx(influence.hat_matrix_diag.max(), rel=1e-9)
    worst = int(np.argmax(cooks))
    assert diag["influence"]["most_influential"][0]["case"] == data["participant_id"].iloc[worst]
    assert diag["influence"]["n_high_cooks"] == int((cooks > 4 / len(data)).sum())
    exog = fit.model.exog
    for j, name in enumerate(fit.model.exog_names[1:], start=1):
        assert diag["vif"][name] == pytest.approx(variance_inflation_factor(exog, j), rel=1e-9)
    assert "linear-probability" in diag["bounded_outcome"]["caveat"]


def test_fit_json_with_relation_as_h2_moderator_and_diagnostics(participants_csv, capsys):
    assert main(["fit", str(participants_csv), "--json", "--h2-moderator", "relation", "--coding", "effect"]) == 0
    document = json.loads(capsys.readouterr().out)
    h2 = document["h2"]
    assert h2["moderator"] == "relation"
    assert "conformity:relation[Sum.stranger]" in h2["coefficients"]
    assert h2["coding"]["scheme"] == "effect"
    assert h2["johnson_neyman"] is None
    assert [r["contrast"] for r in h2["slope_contrasts"]] == ["stranger - friend"]
    h1 = document["h1"]
    check = h1["diagnostics"]["bounded_outcome"]["binomial_check"]
    assert "public:holism" in check["interaction"]
    assert set(h1["diagnostics"]) >= {"heteroskedasticity", "influence", "vif"}
    assert "table" in h1["johnson_neyman"]


def test_text_output_shows_diagnostics_and_the_jn_table(participants_csv, capsys):
    assert main(["fit", str(participants_csv)]) == 0
    out = capsys.readouterr().out
    assert "Breusch-Pagan" in out and "Cook's distance" in out and "VIF public:holism" in out
    assert "Johnson-Neyman table" in out and "Linear-probability caveat" in out
    assert "Binomial robustness check" in out


def test_binomial_check_matches_statsmodels_glm(make_participants):
    import statsmodels.api as sm

    from analysis.diagnostics import binomial_irls

    data = make_participants(400, seed=21)
    x = (data["condition"] == "public").to_numpy(dtype=float)
    w = data["holism"].to_numpy()
    design = np.column_stack([np.ones_like(x), x, w, x * w])
    k, a = data["n_suggestions"].to_numpy(float), data["n_adopted"].to_numpy(float)
    beta, se, dispersion = binomial_irls(design, a, k)
    fit = sm.GLM(np.column_stack([a, k - a]), design, family=sm.families.Binomial()).fit(cov_type="HC0")
    assert beta == pytest.approx(fit.params, abs=1e-8)
    assert se == pytest.approx(fit.bse, rel=1e-6)
    assert dispersion == pytest.approx(fit.pearson_chi2 / fit.df_resid, rel=1e-8)
