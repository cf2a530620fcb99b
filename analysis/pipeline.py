"""One analysis run from the participants file to the results dictionary.

Shared by the command line, the report and the benchmark so all three compute the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analysis.bootstrap import bootstrap_moderation
from analysis.load import StudyData, read_participants, read_suggestions
from analysis.models import ModerationResult, fit_h1, fit_h2


@dataclass
class AnalysisOptions:
    """Settings an analyst chooses on the command line."""

    cov_type: str = "HC3"
    center: str = "none"
    covariates: list[str] = field(default_factory=list)
    probe: str = "percentiles"
    at: list[float] | None = None
    moderator: str = "holism"
    keep_failed_attention: bool = False
    bootstrap: int = 0
    seed: int | None = None
    alpha: float = 0.05
    progress: bool = False

    codebook: str | None = None
    h2_moderator: str = "closeness"
    coding: str = "indicator"

    def model_options(self) -> dict[str, Any]:
        return {"cov_type": self.cov_type, "center": self.center, "covariates": self.covariates,
                "probe": self.probe, "at": self.at, "alpha": self.alpha, "coding": self.coding}


def scale_of(study: StudyData, column: str) -> tuple[float, float] | None:
    entry = study.scales.get(column)
    return tuple(entry["range"]) if entry else None


@dataclass
class Analysis:
    study: StudyData
    h1: ModerationResult
    h2: ModerationResult
    options: AnalysisOptions

    def results(self) -> dict[str, Any]:
        """The JSON document: input, exclusions and both models (JSON-safe numbers)."""
        exclusions = dict(self.study.exclusions)
        exclusions["missing"] = {"h1": self.h1.n_missing, "h2": self.h2.n_missing}
        if self.study.text_as_missing:
            exclusions["text_as_missing"] = self.study.text_as_missing
        document: dict[str, Any] = to_jsonable({
            "input": self.study.input_info(),
            "exclusions": exclusions,
            "h1": self.h1.to_dict(),
            "h2": self.h2.to_dict(),
        })
        return document


def analyse(path: str | Path, options: AnalysisOptions | None = None) -> Analysis:
    """Read and validate the participants file, then fit (and optionally bootstrap) H1 and H2."""
    options = options or AnalysisOptions()
    parsed = list(dict.fromkeys([*options.covariates, options.h2_moderator]))
    study = read_participants(path, moderator=options.moderator, covariates=parsed,
                              keep_failed_attention=options.keep_failed_attention, codebook=options.codebook)
    fitted = []
    h1_scale, h2_scale = scale_of(study, options.moderator), scale_of(study, options.h2_moderator)
    fits: tuple[tuple[str, Callable[[], ModerationResult]], ...] = (
        ("H1", lambda: fit_h1(study.data, moderator=options.moderator, scale=h1_scale, **options.model_options())),
        ("H2", lambda: fit_h2(study.data, moderator=options.h2_moderator, scale=h2_scale, **options.model_options())))
    for label, fit in fits:
        try:
            fitted.append(fit())
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise ValueError(f"{label} cannot be fitted on {path}: {exc}{left_out(study.exclusions)}") from None
    h1, h2 = fitted
    from analysis.diagnostics import binomial_check, model_diagnostics

    h1.diagnostics = model_diagnostics(h1, scale_of(study, "conformity"))
    h2.diagnostics = model_diagnostics(h2)
    if h1.outcome == "conformity":
        check = binomial_check(study.data, h1, options.alpha)
        if check is not None:
            h1.diagnostics["bounded_outcome"]["binomial_check"] = check
    if options.bootstrap > 0:
        # Separate, fixed sub-seeds keep each model's resamples reproducible on their own.
        seeds = np.random.SeedSequence(options.seed).spawn(2) if options.seed is not None else [None, None]
        for result, seed in zip((h1, h2), seeds):
            result.bootstrap = bootstrap_moderation(result, options.bootstrap, seed, options.progress)
            result.bootstrap["seed"] = options.seed
    return Analysis(study=study, h1=h1, h2=h2, options=options)


def left_out(exclusions: dict[str, Any]) -> str:
    """What was set aside before fitting, for an error message: a failed fit must not hide it."""
    parts = []
    for flag in ("simulated", "pilot"):
        excluded = (exclusions.get(flag) or {}).get("excluded", 0)
        if excluded:
            parts.append(f"{excluded} {flag} row(s)")
    if exclusions.get("attention_failed"):
        parts.append(f"{exclusions['attention_failed']} row(s) failing the attention check")
    if not parts:
        return ""
    return (f" ({', '.join(parts)} were left out of {exclusions.get('n_input', '?')}; simulated or pilot rows are "
            "analysed only when a file holds nothing else, and --keep-failed-attention keeps the rest)")


def mediate(path: str | Path, model: int, *, w: str = "holism", v: str = "closeness", covariates: Sequence[str] = (),
            cov_type: str = "HC3", n_boot: int = 5000, seed: int | None = None, alpha: float = 0.05,
            keep_failed_attention: bool = False, codebook: str | Path | None = None,
            progress: bool = False) -> dict[str, Any]:
    """Read the participants file and fit (and bootstrap) PROCESS model 7, 14 or 21 as JSON-safe data."""
    from analysis.mediation import MODERATED_PATHS, bootstrap_conditional_process, fit_conditional_process

    moderate_w, moderate_v = MODERATED_PATHS.get(model, (True, True))
    extra = [c for c in ([v] if moderate_v else []) + list(covariates) if c]
    study = read_participants(path, moderator=w if moderate_w else "holism", covariates=extra,
                              keep_failed_attention=keep_failed_attention, codebook=codebook)
    try:
        result = fit_conditional_process(study.data, model, w=w, v=v, covariates=covariates,
                                         cov_type=cov_type, alpha=alpha)
        if n_boot > 0:
            bootstrap_conditional_process(result, n_boot, seed, progress)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ValueError(f"model {model} cannot be fitted on {path}: {exc}{left_out(study.exclusions)}") from None
    document = result.to_dict()
    if result.bootstrap is not None:
        document["bootstrap"]["seed"] = seed
    exclusions = dict(study.exclusions)
    exclusions["missing"] = result.n_missing
    jsonable: dict[str, Any] = to_jsonable({**document, "input": study.input_info(), "exclusions": exclusions})
    return jsonable


def robustness_checks(analysis: Analysis, suggestions_path: str | Path | None = None) -> dict[str, Any]:
    """Suggestion-level logistic and binomial adopted-out-of-k models for H1."""
    from analysis.robustness import adoption_binomial, suggestion_logit  # statsmodels loads slowly

    participants = analysis.study.data
    moderator = analysis.options.moderator
    if suggestions_path is None:
        candidate = Path(analysis.study.path).with_name("suggestions.csv")
        suggestions_path = candidate if candidate.is_file() else None
    suggestions = read_suggestions(suggestions_path) if suggestions_path is not None else None
    if suggestions is not None:
        logit = suggestion_logit(participants, suggestions, moderator=moderator, alpha=analysis.options.alpha)
        logit["source"] = str(suggestions_path)
    else:
        logit = {"model": "logistic, SEs clustered by participant",
                 "skipped": "no suggestions file (give --suggestions or put suggestions.csv next to the data)"}
    binomial = adoption_binomial(participants, suggestions, moderator=moderator, alpha=analysis.options.alpha)
    jsonable: dict[str, Any] = to_jsonable({"suggestion_logit": logit, "adoption_binomial": binomial})
    return jsonable


def to_jsonable(value: Any) -> Any:
    """Plain JSON types only: numpy scalars become Python numbers, NaN and inf become None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
