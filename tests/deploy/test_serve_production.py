"""The production command: refuses bad settings in one line, migrates once, serves through gunicorn."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from scl_testing import reset_postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "serve-production"


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCL_", "DATABASE_URL", "RATELIMIT"))}
    env.update(SCL_SKIP_INSTALL="1", SCL_SECRET_KEY=secrets.token_hex(32), SCL_PSEUDONYM_KEY=secrets.token_hex(32))
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


@pytest.mark.parametrize("change, says", [
    ({"SCL_SECRET_KEY": None}, "SCL_SECRET_KEY is not set"),
    ({"SCL_PSEUDONYM_KEY": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "SCL_PSEUDONYM_KEY is too weak"),
    ({"SCL_SECRET_KEY": "short"}, "SCL_SECRET_KEY is too weak"),
    ({}, "DATABASE_URL is not set"),
    ({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "cannot reach the database"),
])
def test_serve_production_refuses_bad_settings_with_one_line(change, says):
    result = subprocess.run(["bash", str(SCRIPT)], env=production_env(**change), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_serve_production_migrates_once_and_serves_without_demo_or_ids_in_the_log(postgres_server, tmp_path):
    reset_postgres(postgres_server)
    port = free_port()
    log_path = tmp_path / "server.log"
    env = production_env(DATABASE_URL=postgres_server.replace("+psycopg", ""), HOST="127.0.0.1", PORT=str(port),
                         WORKERS="2", THREADS="2", RATELIMIT_STORAGE_URI="memory://")
    with log_path.open("w") as log:
        server = subprocess.Popen(["bash", str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                index = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail(log_path.read_text()[-2000:])
        assert index.status == 200
        assert index.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "camera=()" in index.headers["Permissions-Policy"]
        assert index.headers["Server"] == "gunicorn"  # no version
        index.read()
        index.close()
        with pytest.raises(urllib.error.HTTPError) as missing_demo:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/s/demo?PROLIFIC_PID=pid{port}secret", timeout=5)
        assert missing_demo.value.code == 404  # production seeds no demo study
        missing_demo.value.close()
    finally:
        server.terminate()
        server.wait(30)
    text = log_path.read_text()
    assert text.count("Booting worker") == 2
    assert f"pid{port}secret" not in text and "GET /s/demo HTTP/1.1" in text
    engine = sa.create_engine(postgres_server)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert connection.execute(sa.text("SELECT count(*) FROM study")).scalar() == 0
    engine.dispose()
