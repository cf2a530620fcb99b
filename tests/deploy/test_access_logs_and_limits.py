"""The dev server's access log drops query strings."""

from __future__ import annotations

import logging
import urllib.request

from scl_testing import LiveServer


def test_the_werkzeug_access_log_never_prints_a_recruiting_id(app, caplog):
    server = LiveServer(app)
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            urllib.request.urlopen(f"{server.url}/s/demo?PROLIFIC_PID=pidSECRET123&STUDY_ID=st1", timeout=10).read()
    finally:
        server.stop()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("/s/demo?[redacted]" in line for line in lines), lines
    assert not any("pidSECRET123" in line or "STUDY_ID" in line for line in lines), lines
