"""Plain-language statements of what the data say about each hypothesis's predicted pattern.

Built from the results dictionary only (the same numbers as the tables), so the words never
disagree with them. H1 predicts a crossover: going public raises conformity for holistic
thinkers (high holism) and lowers it for analytic ones (low holism). H2 predicts that the
effect of conformity on the evaluation depends on closeness to the suggesters.
"""

from __future__ import annotations

from typing import Any


def _fmt(value: float | None, digits: int = 3) -> str:
    return "NA" if value is None else f"{value:.{digits}f}"


def regions_text(model: dict[str, Any]) -> str:
    jn = model["johnson_neyman"]
    parts = []
    for region in jn["regions"]:
        span = f"{model['moderator']} {_fmt(region['from'], 2)} to {_fmt(region['to'], 2)}"
        if region["significant"]:
            parts.append(f"significantly {region['sign']} for {span}")
        else:
            parts.append(f"not significant for {span}")
    return "; ".join(parts)


def zero_crossing(model: dict[str, Any]) -> float | None:
    """Moderator value where the conditional effect is zero (in original units), if any."""
    table = model["johnson_neyman"]["table"] if model.get("johnson_neyman") else []
    for left, right in zip(table[:-1], table[1:]):
        if left["effect"] == 0.0:
            return float(left["w"])
        if left["effect"] * right["effect"] < 0:
            t = left["effect"] / (left["effect"] - right["effect"])
            return float(left["w"] + t * (right["w"] - left["w"]))
    return None


def h1_statement(model: dict[str, Any], alpha: float) -> str:
    """Is there the predicted crossover (positive effect of public for holistic thinkers,
    negative for analytic ones), and where does the effect change, by Johnson–Neyman?"""
    inter = model["interaction"]
    focal, moderator = model["focal"], model["moderator"]
    sizes = model.get("effect_sizes", {})
    head = (f"Interaction {inter['term']}: F({inter['df1']}, {inter['df2']}) = {_fmt(inter['f'], 2)}, "
            f"p = {_fmt(inter['p'], 4)}, Delta R-sq = {_fmt(inter['r2_change'], 4)}, "
            f"f-sq = {_fmt(sizes.get('f2'), 4)}.")
    if model.get("johnson_neyman") is None or moderator != "holism":
        # The crossover is predicted for thinking style; other moderators are described, not judged.
        return h2_statement(model, alpha)
    regions = model["johnson_neyman"]["regions"]
    low, high = regions[0], regions[-1]
    b3 = model["coefficients"][inter["terms"][0]]["b"]
    positive_high = high["significant"] and high["sign"] == "positive"
    negative_low = low["significant"] and low["sign"] == "negative"
    crossing = zero_crossing(model)
    if inter["p"] < alpha and b3 > 0 and positive_high and negative_low:
        verdict = ("The predicted crossover is supported: public raises conformity for holistic thinkers "
                   "and lowers it for analytic ones")
    elif inter["p"] < alpha and b3 > 0 and (positive_high or negative_low):
        verdict = ("The predicted pattern is partly supported: the interaction has the predicted sign, but the "
                   "effect of public is significant only "
                   + ("for holistic thinkers (positive)" if positive_high else "for analytic thinkers (negative)"))
    elif inter["p"] < alpha and b3 < 0:
        verdict = "The interaction is significant but in the opposite direction to the prediction"
    else:
        verdict = f"The interaction is not significant at alpha = {alpha:g}: the predicted crossover is not shown"
    where = (f"; the effect of {focal} changes sign at {moderator} = {_fmt(crossing, 2)}" if crossing is not None
             else f"; the effect of {focal} does not change sign within the observed range")
    return f"{head} {verdict}{where}. By Johnson-Neyman (alpha = {alpha:g}) the effect is {regions_text(model)}."


def h2_statement(model: dict[str, Any], alpha: float) -> str:
    """Does the effect of conformity on the evaluation depend on closeness (or relation)?"""
    inter = model["interaction"]
    sizes = model.get("effect_sizes", {})
    head = (f"Interaction {inter['term']}: F({inter['df1']}, {inter['df2']}) = {_fmt(inter['f'], 2)}, "
            f"p = {_fmt(inter['p'], 4)}, Delta R-sq = {_fmt(inter['r2_change'], 4)}, "
            f"f-sq = {_fmt(sizes.get('f2'), 4)}.")
    verdict = (f"The effect of {model['focal']} on {model['outcome']} depends on {model['moderator']}"
               if inter["p"] < alpha else
               f"No evidence at alpha = {alpha:g} that the effect of {model['focal']} on {model['outcome']} "
               f"depends on {model['moderator']}")
    effects = "; ".join(f"{r['label']}: {_fmt(r['effect'])} (p = {_fmt(r['p'], 4)})"
                        for r in model["conditional_effects"])
    text = f"{head} {verdict}. Simple slopes: {effects}."
    if model.get("johnson_neyman"):
        text += f" By Johnson-Neyman the effect is {regions_text(model)}."
    if model.get("slope_contrasts"):
        text += " Pairwise slope contrasts (Holm): " + "; ".join(
            f"{c['contrast']} = {_fmt(c['estimate'])}, p(Holm) = {_fmt(c['p_holm'], 4)}"
            for c in model["slope_contrasts"]) + "."
    return text
