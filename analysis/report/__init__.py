"""Tables for the terminal, and the Markdown and self-contained HTML reports.

All three formats are rendered from the same list of sections built from the results
dictionary, so the terminal, the Markdown and the HTML never disagree. ``document`` holds the
building blocks, ``sections`` builds them from results, ``render`` turns them into text,
Markdown or HTML, and ``write`` produces the report of a run. Importing the package does not
load matplotlib: ``write_report`` does when it draws the figures.
"""

from analysis.report.document import Figure, Item, Section, Table, ci_label, number, p_value
from analysis.report.render import HTML_STYLE, markdown_cell, render_html, render_markdown, render_text
from analysis.report.sections import (
    DESCRIBED,
    HYPOTHESES,
    SUGGESTION_MODELS,
    descriptives_table,
    diagnostics_items,
    exclusions_items,
    flagged_text,
    mediation_sections,
    model_items,
    robustness_items,
    suggestion_model_items,
    suggestion_sections,
    terminal_sections,
)
from analysis.report.write import (
    SIMULATED_BANNER,
    VERSIONED_PACKAGES,
    analysed_rows_simulated,
    conditional_process_items,
    provenance,
    suggestion_level_section,
    write_report,
)

__all__ = [
    "DESCRIBED", "HTML_STYLE", "HYPOTHESES", "SIMULATED_BANNER", "SUGGESTION_MODELS", "VERSIONED_PACKAGES",
    "Figure", "Item", "Section", "Table", "analysed_rows_simulated", "ci_label", "conditional_process_items",
    "descriptives_table", "diagnostics_items", "exclusions_items", "flagged_text", "markdown_cell",
    "mediation_sections", "model_items", "number", "p_value", "provenance", "render_html", "render_markdown",
    "render_text", "robustness_items", "suggestion_level_section", "suggestion_model_items", "suggestion_sections",
    "terminal_sections", "write_report",
]
