"""Report content: effect sizes against statsmodels, the crossover statement, provenance and the
simulated-data banner."""

from __future__ import annotations

import json
from importlib import metadata

import numpy as np
import pytest
import statsmodels.formula.api as smf

from analysis.__main__ import main
from analysis.interpretation import h1_statement
from analysis.models import fit_moderation
from analysis.pipeline import to_jsonable


def test_effect_sizes_match_statsmodels_r2_and_standardised_refits(make_participants):
    data = make_participants(300, seed=12)
    data["public"] = (data["condition"] == "public").astype(float)
    sizes = fit_moderation(data, "evaluation", "conformity", "closeness").effect_sizes()
    full = smf.ols("evaluation ~ conformity * closeness", data).fit()
    reduced = smf.ols("evaluation ~ conformity + closeness", data).fit()
    assert sizes["f2"] == pytest.approx((full.rsquared - reduced.rsquared) / (1 - full.rsquared), rel=1e-9)
    z = data.assign(ez=(data["evaluation"] - data["evaluation"].mean()) / data["evaluation"].std(),
                    cz=(data["conformity"] - data["conformity"].mean()) / data["conformity"].std())
    refit = smf.ols("ez ~ cz * closeness", z).fit().params
    for row in sizes["standardized_slopes"]:
        assert row["standardized"] == pytest.approx(refit["cz"] + refit["cz:closeness"] * row["w"], rel=1e-9)
    binary = fit_moderation(data, "conformity", "public", "holism").effect_sizes()
    sd = data["conformity"].std()
    for row in binary["standardized_slopes"]:
        assert row["standardized"] == pytest.approx(row["b"] / sd, rel=1e-12)


def crossover_data(n, slope, seed):
    rng = np.random.default_rng(seed)
    public = rng.integers(0, 2, n).astype(float)
    holism = rng.uniform(1, 7, n)
    conformity = 0.4 + slope * public * (holism - 4) + rng.normal(0, 0.1, n)
    return {"public": public, "holism": holism, "conformity": conformity}


def test_crossover_statement_supported_and_not(tmp_path):
    import pandas as pd

    frame = pd.DataFrame(crossover_data(400, 0.08, 1))
    strong = to_jsonable(fit_moderation(frame, "conformity", "public", "holism").to_dict())
    text = h1_statement(strong, 0.05)
    params = smf.ols("conformity ~ public * holism", frame).fit().params
    crossing = -params["public"] / params["public:holism"]
    assert "crossover is supported" in text and f"changes sign at holism = {crossing:.2f}" in text
    null = to_jsonable(fit_moderation(pd.DataFrame(crossover_data(400, 0.0, 2)), "conformity", "public",
                                      "holism").to_dict())
    if null["interaction"]["p"] >= 0.05:
        assert "not significant" in h1_statement(null, 0.05)
    reverse = to_jsonable(fit_moderation(pd.DataFrame(crossover_data(400, -0.08, 3)), "conformity", "public",
                                         "holism").to_dict())
    assert "opposite direction" in h1_statement(reverse, 0.05)


@pytest.mark.slow
def test_report_states_versions_command_date_and_the_pattern(participants_csv, tmp_path):
    out = tmp_path / "r"
    assert main(["report", str(participants_csv), "--out", str(out), "--quiet"]) == 0
    markdown = (out / "report.md").read_text()
    assert f"numpy {metadata.version('numpy')}" in markdown and f"statsmodels {metadata.version('statsmodels')}" in markdown
    assert "Created 20" in markdown and "python -m analysis report" in markdown
    assert "What the data say" in markdown and "f-sq" in markdown and "Effect sizes" in markdown
    assert "Breusch-Pagan" in markdown and "Linear-probability caveat" in markdown
    assert "Suggestion-level models of adoption" in markdown and "random-intercept SD" in markdown
    assert "SIMULATED DATA" not in markdown
    assert "PROCESS model 21" in markdown and "Conditional indirect effects" in markdown
    results = json.loads((out / "results.json").read_text())
    assert len(results["conditional_process"]["conditional_indirect_effects"]) == 9
    assert results["provenance"]["versions"]["numpy"] == metadata.version("numpy")
    assert set(results["suggestion_models"]["models"]) == {"cluster_logit", "gee_exchangeable", "mixed_logit"}
    for stem in ("h1_interaction", "h2_floodlight"):
        assert (out / f"{stem}.svg").is_file() and (out / f"{stem}.pdf").is_file()


@pytest.mark.slow
def test_report_of_simulated_participants_carries_the_banner(make_participants, tmp_path):
    frame = make_participants(120, seed=4)
    frame["simulated"] = "true"
    path = tmp_path / "participants.csv"
    frame.to_csv(path, index=False)
    assert main(["report", str(path), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert markdown.index("SIMULATED DATA") < markdown.index("## Data")
    assert "SIMULATED DATA" in (tmp_path / "r" / "report.html").read_text()
