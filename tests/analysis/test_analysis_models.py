"""The moderation model against formulas written out independently in the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.covariance import coefficient_covariance, normalize_cov_type
from analysis.models import fit_h1, fit_h2, fit_moderation


@pytest.fixture
def generic():
    """Heteroskedastic data with generic names x, m, y and two covariates."""
    rng = np.random.default_rng(7)
    n = 150
    x = rng.normal(size=n)
    m = rng.normal(2.0, 1.5, size=n)
    y = 0.5 + 0.4 * x - 0.2 * m + 0.3 * x * m + rng.normal(size=n) * (0.5 + np.abs(x))
    return pd.DataFrame({"x": x, "m": m, "y": y, "age": rng.integers(18, 70, n).astype(float),
                         "group": rng.choice(["a", "b", "c"], n)})


def design_of(frame):
    return np.column_stack([np.ones(len(frame)), frame["x"], frame["m"], frame["x"] * frame["m"]])


def hand_sandwich(design, resid, kind):
    """HC covariance written out from the textbook definitions."""
    n, p = design.shape
    bread = np.linalg.inv(design.T @ design)
    h = np.array([design[i] @ bread @ design[i] for i in range(n)])
    if kind == "HC0":
        omega = resid**2
    elif kind == "HC1":
        omega = resid**2 * n / (n - p)
    elif kind == "HC2":
        omega = resid**2 / (1 - h)
    elif kind == "HC3":
        omega = resid**2 / (1 - h) ** 2
    elif kind == "HC4":
        delta = np.array([min(4.0, n * hi / p) for hi in h])
        omega = resid**2 / (1 - h) ** delta
    return bread @ design.T @ np.diag(omega) @ design @ bread


def test_coefficients_equal_least_squares(generic):
    design = design_of(generic)
    expected, *_ = np.linalg.lstsq(design, generic["y"].to_numpy(), rcond=None)
    result = fit_moderation(generic, "y", "x", "m")
    assert result.params == pytest.approx(expected, rel=1e-10)
    assert result.names == ["Intercept", "x", "m", "x:m"]


@pytest.mark.parametrize("kind", ["HC0", "HC1", "HC2", "HC3", "HC4"])
def test_robust_covariance_equals_hand_written_sandwich(generic, kind):
    design = design_of(generic)
    y = generic["y"].to_numpy()
    b, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ b
    expected = hand_sandwich(design, resid, kind)
    assert coefficient_covariance(design, resid, kind) == pytest.approx(expected, rel=1e-9)
    result = fit_moderation(generic, "y", "x", "m", cov_type=kind)
    assert result.cov == pytest.approx(expected, rel=1e-9)


def test_hc4_differs_from_hc3_only_through_the_leverage_exponent(generic):
    """With delta_i = min(4, n h_ii / p), high-leverage cases are discounted more than under HC3."""
    design = design_of(generic)
    n, p = design.shape
    h = np.diag(design @ np.linalg.inv(design.T @ design) @ design.T)
    assert (n * h / p > 2).any() and (n * h / p < 2).any()
    r3 = fit_moderation(generic, "y", "x", "m", cov_type="HC3")
    r4 = fit_moderation(generic, "y", "x", "m", cov_type="HC4")
    assert not np.allclose(r3.cov, r4.cov)


@pytest.mark.parametrize("kind,sm_kind", [("OLS", "nonrobust"), ("HC0", "HC0"), ("HC1", "HC1"),
                                          ("HC2", "HC2"), ("HC3", "HC3")])
def test_tests_use_t_on_residual_df_like_statsmodels_use_t(generic, kind, sm_kind):
    design = design_of(generic)
    reference = sm.OLS(generic["y"].to_numpy(), design).fit(cov_type=sm_kind, use_t=True)
    table = fit_moderation(generic, "y", "x", "m", cov_type=kind).coefficient_table()
    for i, term in enumerate(["Intercept", "x", "m", "x:m"]):
        assert table[term]["se"] == pytest.approx(reference.bse[i], rel=1e-9)
        assert table[term]["p"] == pytest.approx(reference.pvalues[i], rel=1e-8)
        assert table[term]["ci_low"] == pytest.approx(reference.conf_int()[i, 0], rel=1e-9)


def test_p_values_use_t_not_z(generic):
    result = fit_moderation(generic, "y", "x", "m", cov_type="HC3").coefficient_table()["x:m"]
    assert result["p"] == pytest.approx(2 * stats.t.sf(abs(result["t"]), 150 - 4), rel=1e-10)
    assert result["p"] != pytest.approx(2 * stats.norm.sf(abs(result["t"])), rel=1e-3)


def test_r2_change_and_classical_f_by_formula(generic):
    y = generic["y"].to_numpy()
    full, reduced = design_of(generic), design_of(generic)[:, :3]

    def r2(design):
        b, *_ = np.linalg.lstsq(design, y, rcond=None)
        e = y - design @ b
        return 1 - e @ e / ((y - y.mean()) @ (y - y.mean()))

    r2_full, r2_reduced = r2(full), r2(reduced)
    df2 = len(y) - 4
    f_change = (r2_full - r2_reduced) / ((1 - r2_full) / df2)
    f_model = (r2_full / 3) / ((1 - r2_full) / df2)
    result = fit_moderation(generic, "y", "x", "m", cov_type="OLS")
    assert result.r2 == pytest.approx(r2_full, rel=1e-10)
    assert result.interaction["r2_change"] == pytest.approx(r2_full - r2_reduced, rel=1e-9)
    assert result.interaction["f"] == pytest.approx(f_change, rel=1e-9)
    assert result.interaction["p"] == pytest.approx(stats.f.sf(f_change, 1, df2), rel=1e-8)
    assert result.model_f == pytest.approx(f_model, rel=1e-9)
    robust = fit_moderation(generic, "y", "x", "m", cov_type="HC3")
    assert robust.interaction["r2_change"] == pytest.approx(r2_full - r2_reduced, rel=1e-9)
    t = robust.coefficient_table()["x:m"]["t"]
    assert robust.interaction["f"] == pytest.approx(t**2, rel=1e-10)


def test_conditional_effect_se_by_formula(generic):
    result = fit_moderation(generic, "y", "x", "m", cov_type="HC3", at=[0.5, 2.0, 4.0])
    b, v = result.params, result.cov
    t_crit = stats.t.ppf(0.975, result.df_resid)
    for row, w in zip(result.conditional_effects, [0.5, 2.0, 4.0]):
        effect = b[1] + w * b[3]
        se = np.sqrt(v[1, 1] + w**2 * v[3, 3] + 2 * w * v[1, 3])
        assert row["w"] == w
        assert row["effect"] == pytest.approx(effect, rel=1e-10)
        assert row["se"] == pytest.approx(se, rel=1e-10)
        assert row["ci_low"] == pytest.approx(effect - t_crit * se, rel=1e-9)
        assert row["p"] == pytest.approx(2 * stats.t.sf(abs(effect / se), result.df_resid), rel=1e-8)


def test_conditional_effect_equals_recentred_model_slope(generic):
    """The effect at w is the focal coefficient of a model with the moderator centred at w."""
    w = 3.1
    shifted = generic.assign(m=generic["m"] - w)
    reference = fit_moderation(shifted, "y", "x", "m", cov_type="HC3").coefficient_table()["x"]
    row = fit_moderation(generic, "y", "x", "m", cov_type="HC3", at=[w]).conditional_effects[0]
    assert row["effect"] == pytest.approx(reference["b"], rel=1e-9)
    assert row["se"] == pytest.approx(reference["se"], rel=1e-9)


@pytest.mark.parametrize("center", ["all", "continuous"])
def test_centering_changes_lower_order_terms_but_not_the_interaction(generic, center):
    plain = fit_moderation(generic, "y", "x", "m", cov_type="HC3")
    centred = fit_moderation(generic, "y", "x", "m", cov_type="HC3", center=center)
    assert centred.interaction["f"] == pytest.approx(plain.interaction["f"], rel=1e-9)
    assert centred.r2 == pytest.approx(plain.r2, rel=1e-12)
    for a, b in zip(plain.conditional_effects, centred.conditional_effects):
        assert a["w"] == pytest.approx(b["w"])
        assert a["effect"] == pytest.approx(b["effect"], rel=1e-9)
        assert a["se"] == pytest.approx(b["se"], rel=1e-9)
    # With centred x and m, the x coefficient is the effect of x at the mean of m.
    at_mean = plain.params[1] + plain.params[3] * generic["m"].mean()
    assert centred.params[1] == pytest.approx(at_mean, rel=1e-9)
    jn_plain = [p["w"] for p in plain.johnson_neyman["points"]]
    jn_centred = [p["w"] for p in centred.johnson_neyman["points"]]
    assert jn_centred == pytest.approx(jn_plain, rel=1e-9)


def test_continuous_centering_leaves_a_binary_focal_alone(participants_frame):
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float))
    result = fit_h1(frame, center="continuous")
    assert result.centers["focal"] == 0.0
    assert result.centers["moderator"] == pytest.approx(frame["holism"].mean())
    everything = fit_h1(frame, center="all")
    assert everything.centers["focal"] == pytest.approx(frame["public"].mean())


def test_covariates_with_text_dummy_coding(generic):
    result = fit_moderation(generic, "y", "x", "m", covariates=["age", "group"], cov_type="OLS")
    assert result.names == ["Intercept", "x", "m", "x:m", "age", "group[T.b]", "group[T.c]"]
    dummies = pd.get_dummies(generic["group"], drop_first=True, dtype=float)
    design = np.column_stack([design_of(generic), generic["age"], dummies])
    expected, *_ = np.linalg.lstsq(design, generic["y"].to_numpy(), rcond=None)
    assert result.params == pytest.approx(expected, rel=1e-9)
    assert result.formula == "y ~ x * m + age + group"


def test_listwise_deletion_is_per_model_and_counted(generic):
    frame = generic.copy()
    frame.loc[[0, 1], "y"] = np.nan
    frame.loc[[1, 2], "age"] = np.nan
    assert fit_moderation(frame, "y", "x", "m").n_missing == 2
    with_cov = fit_moderation(frame, "y", "x", "m", covariates=["age"])
    assert with_cov.n_missing == 3 and with_cov.n == 147


def test_categorical_moderator_probes_each_level(generic):
    frame = generic.assign(culture=np.where(generic["m"] > 2, "west", "east"))
    result = fit_moderation(frame, "y", "x", "culture", cov_type="HC3")
    assert result.names == ["Intercept", "x", "culture[T.west]", "x:culture[T.west]"]
    labels = [row["label"] for row in result.conditional_effects]
    assert labels == ["east", "west"]
    b = result.params
    assert result.conditional_effects[0]["effect"] == pytest.approx(b[1])
    assert result.conditional_effects[1]["effect"] == pytest.approx(b[1] + b[3])
    assert result.johnson_neyman is None
    # Same numbers as a numeric 0/1 moderator, which is probed at its two values.
    numeric = fit_moderation(frame.assign(west=(frame["culture"] == "west").astype(float)), "y", "x", "west")
    assert numeric.params == pytest.approx(result.params, rel=1e-10)
    assert [r["w"] for r in numeric.conditional_effects] == [0.0, 1.0]
    assert numeric.johnson_neyman is None


def test_three_level_moderator_has_a_joint_interaction_test(generic):
    result = fit_moderation(generic, "y", "x", "group", cov_type="OLS")
    assert result.interaction["df1"] == 2
    assert result.interaction["terms"] == ["x:group[T.b]", "x:group[T.c]"]
    y = generic["y"].to_numpy()
    dummies = pd.get_dummies(generic["group"], drop_first=True, dtype=float).to_numpy()
    base = np.column_stack([np.ones(len(y)), generic["x"], dummies])
    full = np.column_stack([base, generic["x"].to_numpy()[:, None] * dummies])
    sse = [np.sum((y - d @ np.linalg.lstsq(d, y, rcond=None)[0]) ** 2) for d in (base, full)]
    f = ((sse[0] - sse[1]) / 2) / (sse[1] / (len(y) - 6))
    assert result.interaction["f"] == pytest.approx(f, rel=1e-9)


def test_h1_and_h2_wrappers_name_their_terms(participants_frame):
    frame = participants_frame.assign(public=(participants_frame["condition"] == "public").astype(float))
    h1, h2 = fit_h1(frame), fit_h2(frame)
    assert h1.names == ["Intercept", "public", "holism", "public:holism"]
    assert h2.names == ["Intercept", "conformity", "closeness", "conformity:closeness"]
    assert h1.formula == "conformity ~ public * holism"
    assert h2.formula == "evaluation ~ conformity * closeness"


def test_bad_options_are_refused(generic):
    with pytest.raises(ValueError):
        normalize_cov_type("HC5")
    with pytest.raises(ValueError):
        fit_moderation(generic, "y", "x", "m", center="some")
    with pytest.raises(ValueError, match="singular"):
        fit_moderation(generic.assign(m=1.0), "y", "x", "m")


def test_predictions_hold_covariates_at_their_means(generic):
    result = fit_moderation(generic, "y", "x", "m", covariates=["age", "group"], cov_type="HC3", center="all")
    fitted, se = result.predict(0.7, [1.0, 3.0])
    b, v = result.params, result.cov
    means = [generic["age"].mean(), (generic["group"] == "b").mean(), (generic["group"] == "c").mean()]
    for w, value, error in zip([1.0, 3.0], fitted, se):
        xc, wc = 0.7 - generic["x"].mean(), w - generic["m"].mean()
        row = np.array([1.0, xc, wc, xc * wc, *means])
        assert value == pytest.approx(row @ b, rel=1e-10)
        assert error == pytest.approx(np.sqrt(row @ v @ row), rel=1e-10)


def test_leverage_one_makes_hc2_to_hc4_undefined():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=12), "m": rng.normal(size=12), "y": rng.normal(size=12),
                          "site": ["a"] * 11 + ["b"]})  # one case alone in its category
    with pytest.raises(ValueError, match="leverage 1"):
        fit_moderation(frame, "y", "x", "m", covariates=["site"], cov_type="HC3")
    assert fit_moderation(frame, "y", "x", "m", covariates=["site"], cov_type="HC1").n == 12
