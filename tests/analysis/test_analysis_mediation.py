"""PROCESS models 7, 14 and 21 against an independent implementation written here.

The reference is computed in the test with numpy.linalg.lstsq (coefficients), statsmodels
(HC3 standard errors, t tests), a hand-written PROCESS percentile rule, and the textbook
formulas: indirect effect (a1 + a3 W)(b1 + b3 V), index a3 b1 (model 7) and a1 b3 (model 14).
The bootstrap is checked by coverage over simulated data with a known index and by its
agreement with the first-order (delta-method) standard error, never against itself.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.__main__ import main
from analysis.mediation import bootstrap_conditional_process, fit_conditional_process


def percentile_at_position(values, p):
    """PROCESS's percentile, written out: the value at position p(n+1) of the sorted data."""
    ordered = np.sort(np.asarray(values, dtype=float))
    position = p * (len(ordered) + 1)
    k = int(np.floor(position))
    if k < 1:
        return ordered[0]
    if k >= len(ordered):
        return ordered[-1]
    return ordered[k - 1] + (position - k) * (ordered[k] - ordered[k - 1])


def simulated(n=400, seed=3, a3=0.4, b3=0.3):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    w = np.round(rng.normal(4, 1.2, n), 1)
    v = rng.integers(1, 8, n).astype(float)
    m = 0.2 + 0.3 * x + 0.1 * w + a3 * x * (w - 4) + rng.normal(0, 1, n)
    y = 1.0 + 0.2 * x + 0.5 * m + 0.1 * v + b3 * m * (v - 4) + rng.normal(0, 1, n)
    return pd.DataFrame({"public": x, "holism": w, "closeness": v, "conformity": m, "evaluation": y})


def hc3_fit(y, columns):
    design = np.column_stack([np.ones_like(y), *columns])
    return sm.OLS(y, design).fit(cov_type="HC3", use_t=True)


@pytest.mark.parametrize("model", [7, 14, 21])
def test_paths_and_conditional_indirect_effects_match_independent_ols(model):
    data = simulated()
    x, w, v, m, y = (data[c].to_numpy() for c in ("public", "holism", "closeness", "conformity", "evaluation"))
    moderated_a, moderated_b = model in (7, 21), model in (14, 21)
    a_cols = [x, w, x * w] if moderated_a else [x]
    b_cols = [x, m, v, m * v] if moderated_b else [x, m]
    a = np.linalg.lstsq(np.column_stack([np.ones_like(m), *a_cols]), m, rcond=None)[0]
    b = np.linalg.lstsq(np.column_stack([np.ones_like(y), *b_cols]), y, rcond=None)[0]
    a_ref, b_ref = hc3_fit(m, a_cols), hc3_fit(y, b_cols)

    result = fit_conditional_process(data, model).to_dict()
    a_names = ["Intercept", "public", "holism", "public:holism"] if moderated_a else ["Intercept", "public"]
    b_names = (["Intercept", "public", "conformity", "closeness", "conformity:closeness"] if moderated_b
               else ["Intercept", "public", "conformity"])
    assert list(result["paths"]) == ["conformity", "evaluation"]
    for names, est, ref, path in ((a_names, a, a_ref, "conformity"), (b_names, b, b_ref, "evaluation")):
        table = result["paths"][path]["coefficients"]
        assert list(table) == names
        low, high = ref.conf_int(0.05).T
        for i, name in enumerate(names):
            assert table[name]["b"] == pytest.approx(est[i], abs=1e-10)
            assert table[name]["se"] == pytest.approx(ref.bse[i], rel=1e-9)
            assert table[name]["p"] == pytest.approx(ref.pvalues[i], rel=1e-7, abs=1e-12)
            assert table[name]["llci"] == pytest.approx(low[i], rel=1e-9)
            assert table[name]["ulci"] == pytest.approx(high[i], rel=1e-9)

    ws = [percentile_at_position(w, p) for p in (0.16, 0.5, 0.84)] if moderated_a else [None]
    vs = [1.0 * percentile_at_position(v, p) for p in (0.16, 0.5, 0.84)] if moderated_b else [None]
    expected = []
    for wv in ws:
        for vv in vs:
            first = a[1] + (a[3] * wv if wv is not None else 0.0)
            second = b[2] + (b[4] * vv if vv is not None else 0.0)
            expected.append((wv, vv, first * second))
    rows = result["conditional_indirect_effects"]
    assert len(rows) == len(expected) == (9 if model == 21 else 3)
    for row, (wv, vv, effect) in zip(rows, expected):
        assert set(row) == {"w", "v", "effect", "boot_se", "boot_llci", "boot_ulci"}
        assert (row["w"] is None) == (wv is None) and (row["v"] is None) == (vv is None)
        if wv is not None:
            assert row["w"] == pytest.approx(wv, abs=1e-12)
        if vv is not None:
            assert row["v"] == pytest.approx(vv, abs=1e-12)
        assert row["effect"] == pytest.approx(effect, abs=1e-10)

    index = result["index_of_moderated_mediation"]
    if model == 7:
        assert index["estimate"] == pytest.approx(a[3] * b[2], abs=1e-10)
    elif model == 14:
        assert index["estimate"] == pytest.approx(a[1] * b[4], abs=1e-10)
    else:
        assert index is None
        assert result["index_of_moderated_moderated_mediation"]["estimate"] == pytest.approx(a[3] * b[4], abs=1e-10)
    assert result["direct_effect"]["b"] == pytest.approx(b[1], abs=1e-10)


def test_dichotomous_moderator_is_probed_at_its_two_values():
    data = simulated()
    data["holism"] = (data["holism"] > 4).astype(float)
    rows = fit_conditional_process(data, 7).to_dict()["conditional_indirect_effects"]
    assert [r["w"] for r in rows] == [0.0, 1.0]


@pytest.mark.slow
def test_bootstrap_interval_of_the_index_covers_the_true_value_about_95_percent():
    true_index = 0.4 * 0.5  # a3 * b1 of the generating model 7 (b3 = 0)
    covered, reps = 0, 120
    for rep in range(reps):
        data = simulated(n=200, seed=1000 + rep, a3=0.4, b3=0.0)
        result = fit_conditional_process(data, 7)
        boot = bootstrap_conditional_process(result, 400, seed=rep)
        covered += boot["index_llci"] <= true_index <= boot["index_ulci"]
    assert 0.88 <= covered / reps <= 0.995


def test_bootstrap_se_of_the_index_agrees_with_the_first_order_se():
    data = simulated(n=3000, seed=11)
    result = fit_conditional_process(data, 7, cov_type="HC3")
    boot = bootstrap_conditional_process(result, 2000, seed=5)
    a3 = result.m_path.params[3]
    b1 = result.y_path.params[2]
    first_order = np.sqrt(b1**2 * result.m_path.cov[3, 3] + a3**2 * result.y_path.cov[2, 2])
    assert boot["index_se"] == pytest.approx(first_order, rel=0.15)


def test_bootstrap_is_reproducible_with_a_seed_and_differs_without():
    data = simulated(n=150)
    first = bootstrap_conditional_process(fit_conditional_process(data, 21), 300, seed=7)
    again = bootstrap_conditional_process(fit_conditional_process(data, 21), 300, seed=7)
    other = bootstrap_conditional_process(fit_conditional_process(data, 21), 300, seed=8)
    assert first == again
    assert first["effect_llci"] != other["effect_llci"]


def test_mediate_json_has_the_documented_shape(participants_csv, capsys):
    assert main(["mediate", str(participants_csv), "--model", "7", "--json", "--boot", "200", "--seed", "1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {"model", "n", "paths", "index_of_moderated_mediation", "conditional_indirect_effects"} <= set(document)
    assert document["model"] == 7
    assert set(document["paths"]) == {"conformity", "evaluation"}
    assert "public:holism" in document["paths"]["conformity"]["coefficients"]
    for coefficient in document["paths"]["evaluation"]["coefficients"].values():
        assert set(coefficient) == {"b", "se", "t", "p", "llci", "ulci"}
    assert set(document["index_of_moderated_mediation"]) == {"estimate", "boot_se", "boot_llci", "boot_ulci"}
    assert all(r["v"] is None and r["w"] is not None and r["boot_llci"] is not None
               for r in document["conditional_indirect_effects"])
    assert document["n_missing"] == 2  # the two empty evaluation cells of the fixture
    assert document["bootstrap"]["seed"] == 1


def test_mediate_model_14_names_the_second_stage_interaction(participants_csv, capsys):
    assert main(["mediate", str(participants_csv), "--model", "14", "--json", "--boot", "0"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "conformity:closeness" in document["paths"]["evaluation"]["coefficients"]
    assert list(document["paths"]["conformity"]["coefficients"]) == ["Intercept", "public"]
    rows = document["conditional_indirect_effects"]
    assert len(rows) == 3 and all(r["w"] is None and r["boot_se"] is None for r in rows)
    assert document["index_of_moderated_mediation"]["boot_se"] is None


def test_mediate_codes_a_two_level_relation_as_0_1(participants_csv, capsys):
    import pandas as pd

    assert main(["mediate", str(participants_csv), "--model", "14", "--v", "relation", "--boot", "0",
                 "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["v"] for r in document["conditional_indirect_effects"]] == [0.0, 1.0]
    assert document["moderator_values"]["level_codes"] == {"relation": {"friend": 0.0, "stranger": 1.0}}
    assert "conformity:relation" in document["paths"]["evaluation"]["coefficients"]
    frame = pd.read_csv(participants_csv)
    frame = frame[frame["attention_passed"] & frame["evaluation"].notna()]
    stranger = (frame["relation"] == "stranger").to_numpy(float)
    x = (frame["condition"] == "public").to_numpy(float)
    m, y = frame["conformity"].to_numpy(), frame["evaluation"].to_numpy()
    a = np.linalg.lstsq(np.column_stack([np.ones_like(x), x]), m, rcond=None)[0]
    b = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, m, stranger, m * stranger]), y, rcond=None)[0]
    effects = [r["effect"] for r in document["conditional_indirect_effects"]]
    assert effects == pytest.approx([a[1] * b[2], a[1] * (b[2] + b[4])], abs=1e-10)


def test_mediate_refuses_a_many_level_text_moderator_with_a_message(participants_csv, tmp_path, capsys):
    import pandas as pd

    frame = pd.read_csv(participants_csv)
    frame["region"] = np.resize(["north", "south", "west"], len(frame))
    path = tmp_path / "participants.csv"
    frame.to_csv(path, index=False)
    assert main(["mediate", str(path), "--model", "14", "--v", "region", "--boot", "0"]) == 1
    assert "region" in capsys.readouterr().err


# ---------------------------------------------------------------- published PROCESS output
# PROCESS for R 5.0, models 21, 7 and 14, hc=3, boot=5000, on Data_Model21/7 of the pyprocessmacro tests
# (x, m1, m2 in parallel, y, w on X -> M, v on M -> Y); see tests/analysis/data/PROVENANCE.md.
PUBLISHED_M1 = {"Intercept": (1.085539, 0.059337), "x": (0.959202, 0.042089), "w": (0.967670, 0.044760),
                "x:w": (1.005024, 0.031055)}
PUBLISHED_Y = {"Intercept": (1.007561, 0.090489), "x": (1.048152, 0.047812), "m1": (0.969366, 0.033669),
               "m2": (0.956323, 0.033326), "v": (0.992850, 0.066077), "m1:v": (1.016765, 0.023504),
               "m2:v": (1.023367, 0.023693)}
PUBLISHED_W = [-0.020790, 0.987449, 1.988648]
PUBLISHED_V = [-0.019714, 1.022498, 2.023376]
# (effect, BootSE, BootLLCI, BootULCI) in PROCESS's order (W outer, V inner)
PUBLISHED_M1_EFFECTS = [
    (0.890756, 0.050089, 0.794084, 0.990361), (1.885067, 0.087493, 1.719355, 2.060499),
    (2.839944, 0.132411, 2.589470, 3.103522), (1.852707, 0.071372, 1.712346, 1.995621),
    (3.920802, 0.078125, 3.767398, 4.072760), (5.906875, 0.117078, 5.672986, 6.140666),
    (2.807943, 0.108857, 2.601421, 3.028888), (5.942325, 0.117273, 5.711818, 6.174034),
    (8.952395, 0.173943, 8.605839, 9.290045)]
PUBLISHED_M2_EFFECTS = [-0.901724, -1.929071, -2.915672, -1.834046, -3.923599, -5.930278, -2.759859,
                        -5.904203, -8.923840]
PUBLISHED_M1_INDEX = (1.021874, 0.039304, 0.945096, 1.099465)
PUBLISHED_M2_INDEX = -1.010856


@pytest.fixture(scope="module")
def data_model21(reference_dir):
    path = reference_dir / "Data_Model7_14_21_columns.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return pd.read_csv(path)


def test_model21_point_estimates_equal_published_process(data_model21):
    result = fit_conditional_process(data_model21, 21, x="x", m="m1", y="y", w="w", v="v", parallel=["m2"])
    document = result.to_dict()
    for path, published in (("m1", PUBLISHED_M1), ("y", PUBLISHED_Y)):
        table = document["paths"][path]["coefficients"]
        for term, (b, se) in published.items():
            assert table[term]["b"] == pytest.approx(b, abs=5e-7), (path, term)
            assert table[term]["se"] == pytest.approx(se, abs=5e-7), (path, term)
    assert document["moderator_values"]["w"] == pytest.approx(PUBLISHED_W, abs=5e-7)
    assert document["moderator_values"]["v"] == pytest.approx(PUBLISHED_V, abs=5e-7)
    effects = [row["effect"] for row in document["conditional_indirect_effects"]]
    assert effects == pytest.approx([e[0] for e in PUBLISHED_M1_EFFECTS], abs=5e-7)
    index = document["index_of_moderated_moderated_mediation"]["estimate"]
    assert index == pytest.approx(PUBLISHED_M1_INDEX[0], abs=5e-7)
    assert document["direct_effect"]["b"] == pytest.approx(1.048152, abs=5e-7)

    second = fit_conditional_process(data_model21, 21, x="x", m="m2", y="y", w="w", v="v", parallel=["m1"])
    second = second.to_dict()
    assert [r["effect"] for r in second["conditional_indirect_effects"]] == pytest.approx(
        PUBLISHED_M2_EFFECTS, abs=5e-7)
    assert second["index_of_moderated_moderated_mediation"]["estimate"] == pytest.approx(PUBLISHED_M2_INDEX, abs=5e-7)


def test_model21_bootstrap_agrees_with_published_process_within_monte_carlo_error(data_model21):
    """Different random numbers than PROCESS's, so agreement is up to resampling noise."""
    result = fit_conditional_process(data_model21, 21, x="x", m="m1", y="y", w="w", v="v", parallel=["m2"])
    boot = bootstrap_conditional_process(result, 5000, seed=123456)
    for j, (_, se, low, high) in enumerate(PUBLISHED_M1_EFFECTS):
        assert boot["effect_se"][j] == pytest.approx(se, rel=0.1)
        assert boot["effect_llci"][j] == pytest.approx(low, abs=0.3 * se)
        assert boot["effect_ulci"][j] == pytest.approx(high, abs=0.3 * se)
    _, se, low, high = PUBLISHED_M1_INDEX
    assert boot["index_se"] == pytest.approx(se, rel=0.1)
    assert boot["index_llci"] == pytest.approx(low, abs=0.3 * se)
    assert boot["index_ulci"] == pytest.approx(high, abs=0.3 * se)


PUBLISHED_M7_Y = {"Intercept": (1.000484, 0.068250), "x": (1.044445, 0.047619), "m1": (0.987629, 0.024221),
                  "m2": (0.980847, 0.024075)}
PUBLISHED_M7_M1_EFFECTS = [(0.926700, 0.047042, 0.837668, 1.020103), (1.927468, 0.056379, 1.818765, 2.036195),
                           (2.921249, 0.085668, 2.755993, 3.089783)]
PUBLISHED_M7_M1_INDEX = (0.992591, 0.039891, 0.916051, 1.072927)


def test_model7_point_estimates_and_index_equal_published_process(data_model21):
    data = data_model21.assign(y=data_model21["y_model7"])
    document = fit_conditional_process(data, 7, x="x", m="m1", y="y", w="w", parallel=["m2"]).to_dict()
    table = document["paths"]["y"]["coefficients"]
    for term, (b, se) in PUBLISHED_M7_Y.items():
        assert table[term]["b"] == pytest.approx(b, abs=5e-7) and table[term]["se"] == pytest.approx(se, abs=5e-7)
    assert document["moderator_values"]["w"] == pytest.approx(PUBLISHED_W, abs=5e-7)
    rows = document["conditional_indirect_effects"]
    assert [r["v"] for r in rows] == [None, None, None]
    assert [r["effect"] for r in rows] == pytest.approx([e[0] for e in PUBLISHED_M7_M1_EFFECTS], abs=5e-7)
    assert document["index_of_moderated_mediation"]["estimate"] == pytest.approx(PUBLISHED_M7_M1_INDEX[0], abs=5e-7)
    second = fit_conditional_process(data, 7, x="x", m="m2", y="y", w="w", parallel=["m1"]).to_dict()
    assert [r["effect"] for r in second["conditional_indirect_effects"]] == pytest.approx(
        [-0.944779, -1.921617, -2.891636], abs=5e-7)
    assert second["index_of_moderated_mediation"]["estimate"] == pytest.approx(-0.968856, abs=5e-7)


def test_model7_bootstrap_agrees_with_published_process_within_monte_carlo_error(data_model21):
    data = data_model21.assign(y=data_model21["y_model7"])
    result = fit_conditional_process(data, 7, x="x", m="m1", y="y", w="w", parallel=["m2"])
    boot = bootstrap_conditional_process(result, 5000, seed=123456)
    for j, (_, se, low, high) in enumerate(PUBLISHED_M7_M1_EFFECTS):
        assert boot["effect_se"][j] == pytest.approx(se, rel=0.1)
        assert boot["effect_llci"][j] == pytest.approx(low, abs=0.3 * se)
        assert boot["effect_ulci"][j] == pytest.approx(high, abs=0.3 * se)
    _, se, low, high = PUBLISHED_M7_M1_INDEX
    assert boot["index_se"] == pytest.approx(se, rel=0.1)
    assert boot["index_llci"] == pytest.approx(low, abs=0.3 * se)
    assert boot["index_ulci"] == pytest.approx(high, abs=0.3 * se)


PUBLISHED_M14_Y = {"Intercept": (1.030547, 0.086285), "x": (1.053816, 0.056780), "m1": (0.968349, 0.041784),
                   "m2": (0.955126, 0.042753), "v": (0.977953, 0.061474), "m1:v": (1.017751, 0.026784),
                   "m2:v": (1.023949, 0.027122)}
PUBLISHED_M14_M1_EFFECTS = [(0.913861, 0.049228, 0.817268, 1.012852), (1.936069, 0.069708, 1.801286, 2.076937),
                            (2.917736, 0.103609, 2.717877, 3.122871)]
PUBLISHED_M14_M1_INDEX = (0.980806, 0.041586, 0.897918, 1.063775)


def model14_data(data):
    return data.assign(m1=data["m1_model14"], m2=data["m2_model14"])


def test_model14_point_estimates_and_index_equal_published_process(data_model21):
    data = model14_data(data_model21)
    document = fit_conditional_process(data, 14, x="x", m="m1", y="y", v="v", parallel=["m2"]).to_dict()
    first = document["paths"]["m1"]["coefficients"]
    assert list(first) == ["Intercept", "x"]
    assert first["Intercept"]["b"] == pytest.approx(1.053450, abs=5e-7)
    assert first["x"]["b"] == pytest.approx(0.963699, abs=5e-7)
    assert first["x"]["se"] == pytest.approx(0.030608, abs=5e-7)
    table = document["paths"]["y"]["coefficients"]
    for term, (b, se) in PUBLISHED_M14_Y.items():
        assert table[term]["b"] == pytest.approx(b, abs=5e-7) and table[term]["se"] == pytest.approx(se, abs=5e-7)
    assert document["moderator_values"]["v"] == pytest.approx(PUBLISHED_V, abs=5e-7)
    rows = document["conditional_indirect_effects"]
    assert [r["w"] for r in rows] == [None, None, None]
    assert [r["effect"] for r in rows] == pytest.approx([e[0] for e in PUBLISHED_M14_M1_EFFECTS], abs=5e-7)
    assert document["index_of_moderated_mediation"]["estimate"] == pytest.approx(PUBLISHED_M14_M1_INDEX[0], abs=5e-7)
    second = fit_conditional_process(data, 14, x="x", m="m2", y="y", v="v", parallel=["m1"]).to_dict()
    assert [r["effect"] for r in second["conditional_indirect_effects"]] == pytest.approx(
        [-0.908648, -1.945810, -2.941838], abs=5e-7)
    assert second["index_of_moderated_mediation"]["estimate"] == pytest.approx(-0.995155, abs=5e-7)


def test_model14_bootstrap_agrees_with_published_process_within_monte_carlo_error(data_model21):
    result = fit_conditional_process(model14_data(data_model21), 14, x="x", m="m1", y="y", v="v", parallel=["m2"])
    boot = bootstrap_conditional_process(result, 5000, seed=123456)
    for j, (_, se, low, high) in enumerate(PUBLISHED_M14_M1_EFFECTS):
        assert boot["effect_se"][j] == pytest.approx(se, rel=0.1)
        assert boot["effect_llci"][j] == pytest.approx(low, abs=0.3 * se)
        assert boot["effect_ulci"][j] == pytest.approx(high, abs=0.3 * se)
    _, se, low, high = PUBLISHED_M14_M1_INDEX
    assert boot["index_se"] == pytest.approx(se, rel=0.1)
    assert boot["index_llci"] == pytest.approx(low, abs=0.3 * se)
    assert boot["index_ulci"] == pytest.approx(high, abs=0.3 * se)
