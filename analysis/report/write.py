"""The report of a run: fits what the report adds, draws the figures and writes HTML, Markdown and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.pipeline import Analysis, robustness_checks, to_jsonable
from analysis.report.document import Figure, Item, Section
from analysis.report.render import render_html, render_markdown
from analysis.report.sections import (
    HYPOTHESES,
    descriptives_table,
    exclusions_items,
    mediation_sections,
    model_items,
    robustness_items,
    suggestion_model_items,
)

if TYPE_CHECKING:
    from analysis.load import StudyData


SIMULATED_BANNER = ("SIMULATED DATA: the analysed participants are simulated (a pipeline check). "
                    "Nothing in this report is a result about people.")
VERSIONED_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib")


def provenance(command: str | None) -> dict[str, Any]:
    """Software versions, the UTC time and the command that produced a report."""
    import datetime
    import platform
    import sys
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"created_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": command or " ".join(["python -m analysis", *sys.argv[1:]]), "versions": versions}


def analysed_rows_simulated(study: StudyData) -> bool:
    flagged = study.exclusions.get("simulated", {})
    return bool(flagged.get("rows")) and not flagged.get("excluded")


def suggestion_level_section(analysis: Analysis,
                             suggestions_path: str | Path | None) -> tuple[Section | None, dict[str, Any] | None]:
    """The suggestion-level models when a suggestions file is at hand."""
    from analysis.load import read_suggestions
    from analysis.suggestions import fit_suggestion_models

    if suggestions_path is None:
        candidate = Path(analysis.study.path).with_name("suggestions.csv")
        suggestions_path = candidate if candidate.is_file() else None
    if suggestions_path is None:
        return None, None
    document = fit_suggestion_models(analysis.study.data, read_suggestions(suggestions_path),
                                     moderator=analysis.options.moderator, alpha=analysis.options.alpha)
    document = to_jsonable(document)
    return Section("Suggestion-level models of adoption (H1)", suggestion_model_items(document)), document


def conditional_process_items(analysis: Analysis) -> tuple[list[Item], dict[str, Any] | None]:
    """Model 21 with H1's and H2's moderators, bootstrapped when --bootstrap is given."""
    from analysis.mediation import bootstrap_conditional_process, fit_conditional_process

    options = analysis.options
    try:
        result = fit_conditional_process(analysis.study.data, 21, w=options.moderator, v=options.h2_moderator,
                                         covariates=options.covariates, cov_type=options.cov_type,
                                         alpha=options.alpha)
        if options.bootstrap > 0:
            seed = None if options.seed is None else options.seed + 21
            bootstrap_conditional_process(result, options.bootstrap, seed, options.progress)
    except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
        return [f"The conditional process model could not be fitted: {exc}"], None
    document = to_jsonable(result.to_dict())
    items: list[Item] = []
    for section in mediation_sections(document):
        items += [f"{section.title}:"] + section.items if section.title.startswith("Outcome") else section.items
    if options.bootstrap > 0:
        items.append(f"The same numbers: python -m analysis mediate {analysis.study.path} --model 21 --w "
                     f"{options.moderator} --v {options.h2_moderator} --boot {options.bootstrap}"
                     + (f" --seed {options.seed + 21}" if options.seed is not None else "") + ".")
    else:
        items.append("Run with --bootstrap N for percentile bootstrap intervals of the conditional indirect "
                     "effects (or use python -m analysis mediate).")
    return items, document


def write_report(analysis: Analysis, out_dir: str | Path, suggestions_path: str | Path | None = None,
                 command: str | None = None) -> dict[str, Any]:
    """Write report.html, report.md, the figures (PNG, SVG, PDF) and results.json into ``out_dir``."""
    from analysis.figures import FigureLabels, floodlight_plot, interaction_plot  # loads matplotlib
    from analysis.interpretation import h1_statement, h2_statement

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = analysis.results()
    results["robustness"] = robustness_checks(analysis, suggestions_path)
    made = provenance(command)
    results["provenance"] = made
    study = analysis.study
    simulated = analysed_rows_simulated(study)
    about: list[Item] = [f"Created {made['created_utc']} by: {made['command']}",
             "Software: " + ", ".join(f"{k} {v}" for k, v in made["versions"].items()) + "."]
    if simulated:
        about.insert(0, SIMULATED_BANNER)
        results["simulated_banner"] = SIMULATED_BANNER
    sections = [Section("About this report", about),
                Section("Data", exclusions_items(results) + [descriptives_table(analysis.study.data)])]
    written = {}
    labels = FigureLabels(study.labels, study.scales, simulated=simulated)
    statements = {"h1": h1_statement, "h2": h2_statement}
    for key, model in (("h1", analysis.h1), ("h2", analysis.h2)):
        figures = [Figure(interaction_plot(model, out / f"{key}_interaction.png", labels),
                          f"{key.upper()}: predicted {model.outcome} by {model.moderator} and {model.focal}")]
        flood = floodlight_plot(model, out / f"{key}_floodlight.png", labels)
        if flood is not None:
            figures.append(Figure(flood, f"{key.upper()}: conditional effect of {model.focal} across "
                                         f"{model.moderator} (Johnson-Neyman)"))
        for figure in figures:
            written[figure.path.stem] = figure.path
        statement = "What the data say: " + statements[key](results[key], analysis.options.alpha)
        sections.append(Section(HYPOTHESES[key],
                                [statement, *model_items(results[key], analysis.options.alpha), *figures]))
    sections.append(Section("Robustness (H1): adoption models", robustness_items(results["robustness"])))
    process_items, process_document = conditional_process_items(analysis)
    sections.append(Section("The whole model: PROCESS model 21 (public -> conformity -> evaluation)", process_items))
    if process_document is not None:
        results["conditional_process"] = process_document
    suggestion_section, suggestion_document = suggestion_level_section(analysis, suggestions_path)
    if suggestion_section is not None:
        sections.append(suggestion_section)
        results["suggestion_models"] = suggestion_document
    title = "Moderation analysis report"
    paths = {"html": out / "report.html", "markdown": out / "report.md", "json": out / "results.json"}
    paths["html"].write_text(render_html(sections, title), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(sections, title), encoding="utf-8")
    paths["json"].write_text(json.dumps(to_jsonable(results), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return {**paths, **written}
