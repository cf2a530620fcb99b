"""axe-core inside a Playwright page: the WCAG 2.1 A/AA rules, with violations said in words.

axe-core comes from the npm registry, pinned in package.json / package-lock.json and installed
by `npm ci` (scripts/test). Without it the checks skip with the reason (fail under SCL_REQUIRE_ALL=1).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scl_testing import missing

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        missing(f"axe-core not installed at {AXE_SCRIPT} (run `npm ci` at the project root; scripts/test does)")
    return AXE_SCRIPT.read_text("utf-8")


def axe_version() -> str:
    import json
    return json.loads((AXE_SCRIPT.parent / "package.json").read_text("utf-8"))["version"]


def install(context) -> None:
    """Load axe-core into every page of a browser context (an init script: our Content-Security-Policy
    blocks inline scripts, but not scripts the browser itself evaluates)."""
    context.add_init_script(script=axe_source())


def violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; the violations found (empty when clean)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        raise AssertionError("axe-core is not loaded in this page: call axe.install(context) first")
    return page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || "",
                                          html: n.html.slice(0, 160)}))}));
        }""",
        WCAG_21_AA)


def describe(found: list[dict], where: str = "") -> str:
    """Violations as readable lines: rule, impact, what it asks, and each offending element with why."""
    lines = [f"axe-core found {len(found)} WCAG 2.1 A/AA violation(s){' on ' + where if where else ''}:"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {node['html']}\n      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, describe(found, where or page.url)
