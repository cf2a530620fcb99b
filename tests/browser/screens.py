"""Screenshots of the pages the browser tests walk, for people to look at; no test reads them.

They cost about a quarter of a walk (a full-page capture per page), so the suite takes them
only when asked: ``SCL_SCREENSHOTS=1 bash scripts/test tests/browser`` writes them under
``test-output/`` (or ``$SCL_TEST_OUTPUT``).
"""

from __future__ import annotations

import os
from pathlib import Path

WANTED = os.environ.get("SCL_SCREENSHOTS", "0") == "1"


def screenshot(page, path: str | Path, *, full_page: bool = False, read_by_the_test: bool = False) -> None:
    """Save what the page shows now, if screenshots were asked for (always, when the test reads the file)."""
    if WANTED or read_by_the_test:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
