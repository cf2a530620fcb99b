"""Our code against numbers published by others (PROCESS output, Hayes 2018)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.models import fit_moderation
from analysis.probing import process_percentiles


@pytest.fixture(scope="module")
def model1(reference_dir):
    return pd.read_csv(reference_dir / "Data_Model1.csv")


@pytest.fixture(scope="module")
def disaster(reference_dir):
    return pd.read_csv(reference_dir / "disaster.csv")


def test_data_model1_hc3_coefficients_match_process(model1):
    result = fit_moderation(model1, "y", "x", "m", cov_type="HC3").to_dict()
    expected = {"Intercept": (0.919712, 0.042952), "x": (1.028583, 0.030261),
                "m": (1.006429, 0.042397), "x:m": (0.966992, 0.030006)}
    for term, (b, se) in expected.items():
        assert result["coefficients"][term]["b"] == pytest.approx(b, abs=5e-6)
        assert result["coefficients"][term]["se"] == pytest.approx(se, abs=5e-6)


def test_data_model1_model_summary_and_interaction_match_process(model1):
    result = fit_moderation(model1, "y", "x", "m", cov_type="HC3").to_dict()
    assert result["r2"] == pytest.approx(0.853142, abs=5e-7)
    assert result["mse"] == pytest.approx(1.009711, abs=5e-7)
    assert result["model_f"] == pytest.approx(1877.853512, abs=5e-5)
    assert result["model_df"] == [3, 996]
    assert result["interaction"]["r2_change"] == pytest.approx(0.150464, abs=5e-7)
    assert result["interaction"]["f"] == pytest.approx(1038.521297, abs=5e-5)
    t = result["coefficients"]["x:m"]["t"]
    assert result["interaction"]["f"] == pytest.approx(t * t, rel=1e-12)


def test_data_model1_percentile_probes_match_process(model1):
    result = fit_moderation(model1, "y", "x", "m", cov_type="HC3")
    effects = result.conditional_effects
    assert [e["w"] for e in effects] == pytest.approx([-0.981274, 0.059612, 1.026694], abs=5e-7)
    assert [e["effect"] for e in effects] == pytest.approx([0.079699, 1.086228, 2.021388], abs=5e-6)
    assert [e["se"] for e in effects] == pytest.approx([0.044722, 0.030095, 0.040465], abs=5e-6)
    assert effects[0]["p"] == pytest.approx(0.075037, abs=5e-6)


def test_data_model1_mean_sd_probes_match_process_216(model1):
    result = fit_moderation(model1, "y", "x", "m", cov_type="HC3", probe="mean-sd")
    effects = result.conditional_effects
    assert [e["w"] for e in effects] == pytest.approx([-0.9795, 0.0188, 1.0171], abs=5e-5)
    assert [e["effect"] for e in effects] == pytest.approx([0.0815, 1.0468, 2.0121], abs=5e-5)
    assert [e["se"] for e in effects] == pytest.approx([0.0447, 0.0302, 0.0403], abs=5e-5)
    assert effects[0]["p"] == pytest.approx(0.0686, abs=5e-5)


def test_disaster_ols_model_matches_hayes(disaster):
    result = fit_moderation(disaster, "justify", "frame", "skeptic", cov_type="OLS").to_dict()
    b = {term: c["b"] for term, c in result["coefficients"].items()}
    assert b == pytest.approx({"Intercept": 2.452, "frame": -0.562, "skeptic": 0.105,
                               "frame:skeptic": 0.201}, abs=5e-4)
    assert result["r2"] == pytest.approx(0.246, abs=5e-4)
    assert result["model_f"] == pytest.approx(22.543, abs=5e-4)
    assert result["model_df"] == [3, 207]


def test_disaster_percentiles_and_johnson_neyman_match_hayes(disaster):
    assert process_percentiles(disaster["skeptic"]) == pytest.approx([1.592, 2.800, 5.200], abs=5e-4)
    result = fit_moderation(disaster, "justify", "frame", "skeptic", cov_type="OLS")
    points = [p["w"] for p in result.johnson_neyman["points"]]
    assert points == pytest.approx([1.171, 3.934], abs=5e-4)
    regions = result.johnson_neyman["regions"]
    assert [(r["significant"], r["sign"]) for r in regions] == [
        (True, "negative"), (False, None), (True, "positive")]


def test_numpy_default_percentiles_differ_from_process(disaster):
    """The trap the spec warns about: numpy's default rule is not PROCESS's."""
    import numpy as np

    default = np.percentile(disaster["skeptic"], [16, 50, 84])
    assert not np.allclose(default, process_percentiles(disaster["skeptic"]), atol=5e-4)
