"""Start the site as a real server for the load benchmark and the fault test, and watch its processes.

``dev_server`` is ``flask --app webapp run`` on a fresh SQLite file; ``production_server`` is
``bash scripts/serve-production`` (gunicorn) on a PostgreSQL database and a Redis, with the
settings a lab would pass. ``ProcessWatch`` reads CPU time and peak RSS of the server's
process tree from /proc (Linux), so the figures are the server's own, not the clients'.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def fresh_postgres_database(name: str) -> str:
    """Drop and create database ``name``; returns its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def flush_redis_prefix(db_index: int) -> None:
    import redis
    redis.Redis.from_url(f"{REDIS_URL}/{db_index}").flushdb()


@dataclass
class Settings:
    """One deployment: the environment every process of it (servers, CLI) shares."""

    database_url: str
    redis_url: str | None = None
    production: bool = False
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="scl-load-")))
    simulation_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    pseudonym_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def env(self, **extra: str) -> dict[str, str]:
        passed = ("SCL_PART_CACHE_MB", "SCL_PREVIEW_CACHE_MB", "SCL_RENDER_CONCURRENCY")  # tuning, on purpose
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCL_", "FLASK_")) or k in passed}
        env.update(DATABASE_URL=self.database_url, SCL_SECRET_KEY=self.secret_key,
                   SCL_PSEUDONYM_KEY=self.pseudonym_key, SCL_SIMULATION_KEY=self.simulation_key,
                   PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}")
        if self.redis_url:
            env["RATELIMIT_STORAGE_URI"] = self.redis_url
        if self.production:
            env["SCL_ENV"] = "production"
        env.update(extra)
        return env

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, check=check)

    def load_study(self, slug: str, places: int = 100_000) -> None:
        """A copy of the demo study under ``slug`` with room for every participant, open."""
        text = (ROOT / "experiments" / "demo.toml").read_text(encoding="utf-8")
        text = text.replace('slug = "demo"', f'slug = "{slug}"', 1)
        text = text.replace("target_n_per_cell = 100", f"target_n_per_cell = {places}", 1)
        path = self.directory / f"{slug}.toml"
        path.write_text(text, encoding="utf-8")
        self.flask("study", "load", str(path), "--open")


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log: Path
    name: str

    def pids(self) -> list[int]:
        """The server's process and all its descendants (gunicorn master and workers)."""
        found, frontier = [], [self.process.pid]
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry.name))
        while frontier:
            pid = frontier.pop()
            found.append(pid)
            frontier.extend(children.get(pid, []))
        return found

    def workers(self) -> list[int]:
        """Processes that serve requests: the gunicorn workers, or the dev server itself."""
        tree = self.pids()  # the root first: gunicorn's master (bash exec's it), or the dev server
        return tree[1:] if self.name.startswith("production") and len(tree) > 1 else tree[:1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("postgres"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until_up(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}): {server.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.base_url + "/", timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s: {server.log.read_text()[-2000:]}")


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a server process writing to ``log`` (the parent's copy of the file is closed at once)."""
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def dev_server(settings: Settings, port: int | None = None) -> Server:
    port = port or free_port()
    log = settings.directory / f"dev-{port}.log"
    process = _spawn([str(VENV_BIN / "flask"), "--app", "webapp", "run", "--port", str(port)], settings.env(), log)
    server = Server(process, f"http://127.0.0.1:{port}", log, "dev")
    wait_until_up(server)
    return server


def production_server(settings: Settings, port: int | None = None, workers: int = 2, threads: int = 8,
                      access_log: str | None = None, **extra_env: str) -> Server:
    port = port or free_port()
    log = settings.directory / f"production-{port}.log"
    env = settings.env(PORT=str(port), HOST="127.0.0.1", WORKERS=str(workers), THREADS=str(threads),
                       SCL_SKIP_INSTALL="1",
                       SCL_ACCESS_LOG=access_log or str(settings.directory / f"access-{port}.log"),
                       **extra_env)
    process = _spawn(["bash", "scripts/serve-production"], env, log)
    server = Server(process, f"http://127.0.0.1:{port}", log, f"production:{port}")
    wait_until_up(server)
    return server


def floor_server(settings: Settings, port: int | None = None, workers: int = 2, threads: int = 8) -> Server:
    """A minimal Flask app under the same gunicorn settings: each request makes one small write."""
    port = port or free_port()
    log = settings.directory / f"floor-{port}.log"
    env = settings.env(PORT=str(port), HOST="127.0.0.1", WORKERS=str(workers), THREADS=str(threads),
                       SCL_ACCESS_LOG=str(settings.directory / f"floor-access-{port}.log"),
                       PYTHONPATH=str(ROOT / "benchmarks"))
    process = _spawn([str(VENV_BIN / "gunicorn"), "--config", "python:webapp.gunicorn_conf",
                      "floor_app:create_app()"], env, log)
    server = Server(process, f"http://127.0.0.1:{port}", log, f"production-floor:{port}")
    wait_until_up(server)
    return server


def count_events(settings: Settings, slug: str) -> dict[str, int]:
    """Events of the study's participants, by kind, straight from the database."""
    from sqlalchemy import create_engine, text
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT e.kind, COUNT(*) FROM event e JOIN study s ON s.id = e.study_id "
            "WHERE s.slug = :slug GROUP BY e.kind"), {"slug": slug}).all()
    engine.dispose()
    return {kind: count for kind, count in rows}
