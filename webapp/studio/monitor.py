"""Watching a study: the live monitor (page and JSON) and the export download; viewers may do both."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

from flask import jsonify, render_template, send_file
from flask_login import current_user, login_required

from .. import monitor as monitor_queries
from .blueprint import bp, include_pilot_arg, member_study
from .forms import ActionForm

log = logging.getLogger(__name__)

CHART_WIDTH = 320


@bp.app_template_filter("studio_duration")
def format_duration(seconds: float | None) -> str:
    """12 min 05 s (or – when nobody has finished yet); studio.js formats the same way."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def conformity_chart(by_cell: dict) -> list[dict]:
    """Bar geometry for the inline SVG (and for studio.js, which updates it in place)."""
    bars = []
    for index, (key, value) in enumerate(by_cell.items()):
        mean = value["mean"]
        bars.append({"key": key, "n": value["n"], "mean": mean, "y": 8 + index * 30,
                     "width": round(CHART_WIDTH * max(0.0, min(1.0, mean or 0.0)), 1),
                     "label": "–" if mean is None else f"{mean:.2f}"})
    return bars


def flow_chart(flow_by_cell: dict) -> list[dict]:
    """One group of bars per cell: how many reached each step, as a share of those who consented."""
    groups, y = [], 8
    for key, stages in flow_by_cell.items():
        start = stages[0]["reached"] if stages else 0
        bars = []
        for stage in stages:
            share = stage["reached"] / start if start else 0.0
            bars.append({"key": f"flow:{key}:{stage['step']}", "step": stage["step"], "y": y,
                         "width": round(CHART_WIDTH * share, 1), "label": str(stage["reached"])})
            y += 24
        groups.append({"cell": key, "y": y - 24 * len(stages), "bars": bars})
        y += 16
    return groups


def charts(summary: dict) -> tuple[list[dict], list[dict]]:
    flow = flow_chart(summary["flow_by_cell"])
    outcome = conformity_chart(summary["conformity_by_cell"]) if summary["outcome_by_cell_enabled"] else []
    return flow, outcome


@bp.get("/studies/<slug>/monitor")
@login_required
def monitor_page(slug: str):
    study, _ = member_study(slug)
    include_pilot = include_pilot_arg()
    summary = monitor_queries.study_summary(study, include_pilot)
    flow, outcome = charts(summary)
    height = (flow[-1]["bars"][-1]["y"] + 32) if flow and flow[-1]["bars"] else 16
    return render_template("studio/monitor.html", study=study, summary=summary, include_pilot=include_pilot,
                           flow_chart=flow, flow_height=height, chart=outcome, logout_form=ActionForm())


@bp.get("/studies/<slug>/monitor.json")
@login_required
def monitor_json(slug: str):
    study, _ = member_study(slug)
    summary = monitor_queries.study_summary(study, include_pilot_arg())
    flow, outcome = charts(summary)
    summary["chart"] = [bar for group in flow for bar in group["bars"]] + outcome
    return jsonify(summary)


@bp.get("/studies/<slug>/export.zip")
@login_required
def export_zip(slug: str):
    from ..export import export_zip_bytes  # loaded on first download: the export is the heaviest module

    study, _ = member_study(slug)
    include_pilot = include_pilot_arg()
    data = export_zip_bytes(study, include_pilot=include_pilot)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    log.info("study %s exported by experimenter %s (pilot included: %s)", study.slug, current_user.id, include_pilot)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{study.slug}-export-{day}.zip", max_age=0)
