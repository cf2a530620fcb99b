"""Report sections built from the results dictionary (the JSON document of a run).

One builder per part of the output: a moderation model, its diagnostics, the exclusions, the
descriptives, the robustness models, a conditional process model, the suggestion-level models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.report.document import Item, Section, Table, ci_label, number, p_value

HYPOTHESES = {
    "h1": "H1 - thinking style x visibility -> conformity",
    "h2": "H2 - conformity x closeness -> evaluation",
}
DESCRIBED = ("holism", "conformity", "closeness", "evaluation", "wtp")


def model_items(model: dict[str, Any], alpha: float = 0.05) -> list[Item]:
    """PROCESS-style blocks for one model: summary, coefficients, interaction, probing."""
    conditional = model["conditional_effects"]
    level = ci_label(alpha)
    items: list[Item] = [
        f"Outcome: {model['outcome']}; focal predictor (X): {model['focal']}; moderator (W): "
        f"{model['moderator']}. Model: {model['formula']}. N = {model['n']} "
        f"({model['n_missing']} dropped for missing values). Standard errors: {model['cov_type']}; "
        f"tests use t({model['df_resid']}). Mean-centring: {model['center']}.",
        Table("Model summary", ["R", "R-sq", "MSE", "F", "df1", "df2", "p"], [[
            number(None if model["r2"] is None else float(np.sqrt(max(model["r2"], 0.0)))),
            number(model["r2"]), number(model["mse"]), number(model["model_f"]),
            str(model["model_df"][0]), str(model["model_df"][1]), p_value(model["model_p"]),
        ]], note="F is a Wald test with the chosen covariance (the classical F under OLS)."),
        Table(f"Coefficients (LLCI/ULCI: {level})", ["term", "b", "se", "t", "p", "LLCI", "ULCI"], [
            [term, number(c["b"]), number(c["se"]), number(c["t"]), p_value(c["p"]),
             number(c["ci_low"]), number(c["ci_high"])]
            for term, c in model["coefficients"].items()
        ]),
    ]
    inter = model["interaction"]
    items.append(Table("Test of the interaction", ["term", "R2-chng", "F", "df1", "df2", "p"], [[
        inter["term"], number(inter["r2_change"]), number(inter["f"]), str(inter["df1"]),
        str(inter["df2"]), p_value(inter["p"]),
    ]], note="R2-chng is the ordinary R-squared difference; F uses the chosen covariance "
             "(t squared of the product term when it has one degree of freedom)."))
    items.append(Table(
        f"Conditional effects of {model['focal']} at values of {model['moderator']} (LLCI/ULCI: {level})",
        [model["moderator"], "probe", "effect", "se", "t", "p", "LLCI", "ULCI"],
        [[number(r["w"]) if not isinstance(r["w"], str) else r["w"], r["label"], number(r["effect"]),
          number(r["se"]), number(r["t"]), p_value(r["p"]), number(r["ci_low"]), number(r["ci_high"])]
         for r in conditional],
    ))
    sizes = model.get("effect_sizes")
    if sizes:
        items.append(Table(
            "Effect sizes", ["quantity", "value"],
            [["Delta R-sq of the interaction", number(sizes["r2_change"])],
             ["Cohen's f-sq = Delta R-sq / (1 - R-sq)", number(sizes["f2"])],
             *[[f"standardised simple slope at {r['label']}", number(r["standardized"])]
               for r in sizes["standardized_slopes"]]],
            note=f"Standardised slopes: {sizes['standardization']}."))
    jn = model["johnson_neyman"]
    if jn is None:
        items.append("Johnson-Neyman: not applicable (dichotomous or categorical moderator).")
    else:
        low, high = jn["observed_range"]
        if jn["points"]:
            items.append(Table(
                f"Johnson-Neyman significance points (alpha = {jn['alpha']:g})",
                [model["moderator"], "% below", "% above"],
                [[number(p["w"]), number(p["pct_below"], 2), number(p["pct_above"], 2)] for p in jn["points"]],
            ))
        else:
            items.append(f"Johnson-Neyman: no significance transition within the observed range "
                         f"of {model['moderator']} ({number(low)} to {number(high)}).")
        items.append(Table(
            "Regions of significance (observed range)", ["from", "to", "significant", "sign of effect"],
            [[number(r["from"]), number(r["to"]), "yes" if r["significant"] else "no", r["sign"] or "-"]
             for r in jn["regions"]],
        ))
    if jn is not None and jn.get("table"):
        items.append(Table(
            f"Conditional effect of {model['focal']} along {model['moderator']} (Johnson-Neyman table; "
            f"LLCI/ULCI: {level})", [model["moderator"], "effect", "se", "t", "p", "LLCI", "ULCI"],
            [[number(r["w"]) + (" (J-N)" if r["jn_point"] else ""), number(r["effect"]), number(r["se"]),
              number(r["t"]), p_value(r["p"]), number(r["ci_low"]), number(r["ci_high"])] for r in jn["table"]]))
    if model.get("coding"):
        coding = model["coding"]
        items.append(Table(f"Coding of {model['moderator']}: {coding['scheme']}",
                           ["level", *[f"D{j + 1}" for j in range(len(coding["levels"]) - 1)]],
                           [[level, *[number(v, 3) for v in row]] for level, row in coding["matrix"].items()]))
    if model.get("slope_contrasts"):
        items.append(Table(
            f"Pairwise contrasts of the {model['focal']} slope between {model['moderator']} levels "
            f"(LLCI/ULCI: {level})", ["contrast", "estimate", "se", "t", "p", "p (Holm)", "LLCI", "ULCI"],
            [[r["contrast"], number(r["estimate"]), number(r["se"]), number(r["t"]), p_value(r["p"]),
              p_value(r["p_holm"]), number(r["ci_low"]), number(r["ci_high"])] for r in model["slope_contrasts"]],
            note="p (Holm): Holm's step-down adjustment over all pairwise contrasts."))
    if model.get("diagnostics"):
        items += diagnostics_items(model["diagnostics"])
    boot = model.get("bootstrap")
    if boot:
        items.append(Table(
            f"Percentile bootstrap ({boot['n_boot']} resamples, seed {boot['seed']}, "
            f"{100 * boot['ci_level']:g} % CI)", ["term", "b", "boot se", "BootLLCI", "BootULCI"],
            [[term, number(c["b"]), number(c["boot_se"]), number(c["ci_low"]), number(c["ci_high"])]
             for term, c in boot["coefficients"].items()]
            + [[f"effect at {r['label']}", number(r["effect"]), number(r["boot_se"]), number(r["ci_low"]),
                number(r["ci_high"])] for r in boot["conditional_effects"]],
            note=f"{boot['n_failed']} resamples could not be fitted." if boot["n_failed"] else None,
        ))
    return items


def diagnostics_items(diag: dict[str, Any]) -> list[Item]:
    """Heteroskedasticity, influence, VIF and the bounded-outcome caveat of one model."""
    het, infl = diag["heteroskedasticity"], diag["influence"]
    items: list[Item] = [Table("Diagnostics", ["check", "value", "note"], [
        [het["test"], f"LM = {number(het['lm'], 3)}, df = {het['df']}, p = {p_value(het['p'])}",
         "small p: heteroskedastic residuals (HC3 SEs remain valid)"],
        ["max leverage", number(infl["max_leverage"], 4),
         f"{infl['n_high_leverage']} cases above 2p/n = {number(infl['leverage_cutoff'], 4)}"],
        ["max Cook's distance", number(infl["max_cooks_distance"], 4),
         f"{infl['n_high_cooks']} cases above 4/n = {number(infl['cooks_cutoff'], 4)}; "
         f"{infl['n_cooks_above_1']} above 1"],
        *[[f"VIF {name}", number(value, 2), ""] for name, value in diag["vif"].items()],
    ], note=diag.get("vif_note"))]
    items.append("Most influential cases (Cook's distance): " + ", ".join(
        f"{c['case']} (D = {number(c['cooks_distance'], 4)}, h = {number(c['leverage'], 4)})"
        for c in infl["most_influential"]) + ".")
    bounded = diag.get("bounded_outcome")
    if bounded:
        items.append("Linear-probability caveat: " + bounded["caveat"])
        check = bounded.get("binomial_check")
        if check and "interaction" in check:
            for term, row in check["interaction"].items():
                items.append(
                    f"Binomial robustness check ({check['model']}, n = {check['n']}): {term} b = "
                    f"{number(row['binomial_b_logodds'])} log-odds, p = {p_value(row['binomial_p'])} vs OLS b = "
                    f"{number(row['ols_b'])}, p = {p_value(row['ols_p'])}: "
                    + ("same sign" if row["same_sign"] else "OPPOSITE sign") + " and "
                    + ("the same" if row["same_decision"] else "a DIFFERENT") + " test decision.")
    return items


def flagged_text(counts: dict[str, Any]) -> str:
    if counts["excluded"]:
        return f"{counts['rows']} (excluded: mixed with real participants)"
    return f"{counts['rows']} (kept: every row is flagged, e.g. a simulated pipeline check)"


def exclusions_items(results: dict[str, Any]) -> list[Item]:
    inp, exc = results["input"], results["exclusions"]
    rows = [
        ["rows in file", str(exc["n_input"])],
        ["failed attention check", str(exc["attention_failed"])
         + (" (kept: --keep-failed-attention)" if exc["kept_failed_attention"] else " (excluded)")],
        ["attention check missing (kept)", str(exc["attention_unknown"])],
        *[[f"{label} participants", flagged_text(exc.get(key))]
          for key, label in (("simulated", "simulated"), ("pilot", "pilot"))
          if exc.get(key, {}).get("rows")],
        ["analysed", str(exc["n_analysed"])],
        ["dropped for missing values, H1", str(exc["missing"]["h1"])],
        ["dropped for missing values, H2", str(exc["missing"]["h2"])],
    ]
    return [f"Input: {inp['path']} (sha256 {inp['sha256']}, {inp['n_rows']} rows).",
            Table("Exclusions", ["", "n"], rows)]


def descriptives_table(data: pd.DataFrame) -> Table:
    """Mean (SD) of the study variables by condition."""
    columns = [c for c in DESCRIBED if c in data.columns and data[c].dtype.kind == "f"]
    rows = []
    for label, subset in (("public", data[data["public"] == 1]), ("private", data[data["public"] == 0]),
                          ("all", data)):
        row = [label, str(len(subset))]
        for column in columns:
            values = subset[column].dropna().to_numpy()
            row.append(f"{values.mean():.3f} ({values.std(ddof=1):.3f})" if values.size > 1 else "NA")
        rows.append(row)
    return Table("Descriptives by condition: mean (SD)", ["condition", "n", *columns], rows)


def robustness_items(robustness: dict[str, Any]) -> list[Item]:
    items: list[Item] = []
    for key, title in (("suggestion_logit", "Suggestion-level logistic model"),
                       ("adoption_binomial", "Binomial model of adopted out of k")):
        model = robustness[key]
        if "skipped" in model:
            items.append(f"{title}: skipped - {model['skipped']}.")
            continue
        size = (f"{model['n']} suggestions from {model['n_clusters']} participants" if key == "suggestion_logit"
                else f"{model['n']} participants, {model['n_suggestions']} suggestions; "
                     f"Pearson dispersion {number(model['pearson_dispersion'], 2)}")
        items.append(Table(
            f"{title}: {model['formula']} ({model['cov_type']} SEs, z tests; {size})",
            ["term", "b (log-odds)", "se", "z", "p", "LLCI", "ULCI", "odds ratio"],
            [[term, number(c["b"]), number(c["se"]), number(c["z"]), p_value(c["p"]), number(c["ci_low"]),
              number(c["ci_high"]), number(c["odds_ratio"])] for term, c in model["coefficients"].items()],
            note="; ".join(model["notes"]) or None,
        ))
    return items


def terminal_sections(results: dict[str, Any], alpha: float = 0.05) -> list[Section]:
    sections = [Section("Data", exclusions_items(results))]
    for key in ("h1", "h2"):
        sections.append(Section(HYPOTHESES[key], model_items(results[key], alpha)))
    return sections


def mediation_sections(document: dict[str, Any]) -> list[Section]:
    """PROCESS-style tables for a conditional process model (``python -m analysis mediate``)."""
    level = f"{100 * document['ci_level']:g} % CI"
    names = document["variables"]
    intro = (f"PROCESS model {document['model']}: X = {names['x']}, M = {names['m']}, Y = {names['y']}"
             + (f", W = {names['w']} (on X -> M)" if names["w"] else "")
             + (f", V = {names['v']} (on M -> Y)" if names["v"] else "")
             + f". N = {document['n']} ({document['n_missing']} dropped for missing values). "
               f"Standard errors: {document['cov_type']}.")
    sections = [Section("Conditional process model", [intro])]
    for outcome, path in document["paths"].items():
        sections.append(Section(f"Outcome: {outcome}", [
            f"{path['formula']}; R-sq = {number(path['r2'])}, MSE = {number(path['mse'])}, df = {path['df_resid']}.",
            Table(f"Coefficients (LLCI/ULCI: {level})", ["term", "b", "se", "t", "p", "LLCI", "ULCI"],
                  [[term, number(c["b"]), number(c["se"]), number(c["t"]), p_value(c["p"]), number(c["llci"]),
                    number(c["ulci"])] for term, c in path["coefficients"].items()]),
        ]))
    direct = document["direct_effect"]
    boot = document.get("bootstrap")
    boot_note = (f"Percentile bootstrap, {boot['n_boot']} resamples, seed {boot['seed']}, {level}."
                 if boot else "No bootstrap (--boot 0): no intervals for the indirect effects.")
    items: list[Item] = [Table(f"Direct effect of {names['x']} on {names['y']} (LLCI/ULCI: {level})",
                   ["effect", "se", "t", "p", "LLCI", "ULCI"],
                   [[number(direct["b"]), number(direct["se"]), number(direct["t"]), p_value(direct["p"]),
                     number(direct["llci"]), number(direct["ulci"])]]),
             Table(f"Conditional indirect effects of {names['x']} on {names['y']} through {names['m']}",
                   ["W", "V", "effect", "BootSE", "BootLLCI", "BootULCI"],
                   [[number(r["w"]) if r["w"] is not None else "-", number(r["v"]) if r["v"] is not None else "-",
                     number(r["effect"]), number(r["boot_se"]), number(r["boot_llci"]), number(r["boot_ulci"])]
                    for r in document["conditional_indirect_effects"]],
                   note="Moderator values: 16th, 50th and 84th percentiles (PROCESS's definition). " + boot_note)]
    for key, title in (("index_of_moderated_mediation", "Index of moderated mediation"),
                       ("index_of_moderated_moderated_mediation", "Index of moderated moderated mediation")):
        entry = document.get(key)
        if entry:
            items.append(Table(title, ["index", "BootSE", "BootLLCI", "BootULCI"],
                               [[number(entry["estimate"]), number(entry["boot_se"]), number(entry["boot_llci"]),
                                 number(entry["boot_ulci"])]]))
    items += list(document.get("notes", []))
    sections.append(Section("Direct and indirect effects", items))
    return sections


SUGGESTION_MODELS = (("cluster_logit", "Logistic regression, SEs clustered by participant"),
                     ("gee_exchangeable", "GEE, exchangeable correlation within participant"),
                     ("mixed_logit", "Mixed logistic regression, participant random intercept"))


def suggestion_model_items(document: dict[str, Any]) -> list[Item]:
    """Tables of the suggestion-level models (``python -m analysis suggestions`` and the report)."""
    if "skipped" in document:
        return [f"Suggestion-level models: skipped - {document['skipped']}."]
    level = f"{100 * (1 - document['alpha']):g} % CI"
    items: list[Item] = [
             f"{document['formula']}: {document['n']} suggestions from {document['n_participants']} participants "
             f"({document['n_not_analysed']} suggestions of participants not analysed, {document['n_missing']} "
             "with a missing value left out). Coefficients are log-odds; z tests."]
    if document.get("closeness_note"):
        items.append(document["closeness_note"] + ".")
    for key, title in SUGGESTION_MODELS:
        model = document["models"].get(key, {})
        if "skipped" in model:
            items.append(f"{title}: skipped - {model['skipped']}.")
            continue
        extra = []
        if "working_correlation" in model:
            extra.append(f"working correlation {number(model['working_correlation'], 3)}")
        if "random_intercept_sd" in model:
            extra.append(f"random-intercept SD {number(model['random_intercept_sd'], 3)} "
                         f"(latent ICC {number(model['icc_latent'], 3)})")
        notes = "; ".join([f"Estimator: {model['estimator']}; SEs: {model['se']}", *extra, *model["notes"]])
        items.append(Table(
            f"{title} (LLCI/ULCI: {level})", ["term", "b", "se", "z", "p", "LLCI", "ULCI", "odds ratio"],
            [[term, number(c["b"]), number(c["se"]), number(c["z"]), p_value(c["p"]), number(c["ci_low"]),
              number(c["ci_high"]), number(c["odds_ratio"])] for term, c in model["coefficients"].items()],
            note=notes))
    return items


def suggestion_sections(document: dict[str, Any]) -> list[Section]:
    return [Section("Suggestion-level models of adoption", suggestion_model_items(document))]
