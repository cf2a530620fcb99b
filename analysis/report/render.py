"""The three renderers of a list of sections: plain text for the terminal, Markdown, and one HTML file."""

from __future__ import annotations

import base64
import html
import textwrap
from typing import Any

from analysis.report.document import Figure, Section, Table


def render_text(sections: list[Section]) -> str:
    lines = []
    for section in sections:
        lines += ["*" * 78, section.title, "*" * 78]
        for item in section.items:
            if isinstance(item, Table):
                widths = [max(len(str(v)) for v in col) for col in zip(item.header, *item.rows)]
                lines.append("")
                lines.append(item.title + ":")
                for row in (item.header, *item.rows):
                    cells = [str(v).ljust(w) if j == 0 else str(v).rjust(w)
                             for j, (v, w) in enumerate(zip(row, widths))]
                    lines.append("  ".join(cells).rstrip())
                if item.note:
                    lines.append(textwrap.fill(f"Note: {item.note}", 78, initial_indent="  ",
                                               subsequent_indent="  "))
            elif isinstance(item, Figure):
                lines.append(f"[figure] {item.caption}: {item.path}")
            else:
                if lines[-1] != "*" * 78:
                    lines.append("")
                lines.append(textwrap.fill(str(item), 78))
        lines.append("")
    return "\n".join(lines)


def markdown_cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def render_markdown(sections: list[Section], title: str) -> str:
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for item in section.items:
            if isinstance(item, Table):
                lines += [f"**{item.title}**", "",
                          "| " + " | ".join(markdown_cell(h) for h in item.header) + " |",
                          "|" + "|".join("---" for _ in item.header) + "|"]
                lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in item.rows]
                if item.note:
                    lines += ["", f"*{item.note}*"]
            elif isinstance(item, Figure):
                lines.append(f"![{item.caption}]({item.path.name})")
            else:
                lines.append(str(item))
            lines.append("")
    return "\n".join(lines)


HTML_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.note { font-size: .9em; color: #555; }
img { max-width: 100%; }
"""


def render_html(sections: list[Section], title: str) -> str:
    """A single HTML file: styles inline and figures embedded as base64 PNG."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title><style>{HTML_STYLE}</style></head><body>", f"<h1>{esc(title)}</h1>"]
    for section in sections:
        parts.append(f"<section><h2>{esc(section.title)}</h2>")
        for item in section.items:
            if isinstance(item, Table):
                parts.append(f"<table><caption>{esc(item.title)}</caption><thead><tr>"
                             + "".join(f"<th>{esc(str(h))}</th>" for h in item.header) + "</tr></thead><tbody>")
                for row in item.rows:
                    parts.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>")
                parts.append("</tbody></table>")
                if item.note:
                    parts.append(f'<p class="note">{esc(item.note)}</p>')
            elif isinstance(item, Figure):
                encoded = base64.b64encode(item.path.read_bytes()).decode("ascii")
                parts.append(f'<figure><img alt="{esc(item.caption)}" src="data:image/png;base64,{encoded}">'
                             f"<figcaption>{esc(item.caption)} ({esc(item.path.name)})</figcaption></figure>")
            else:
                parts.append(f"<p>{esc(str(item))}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
