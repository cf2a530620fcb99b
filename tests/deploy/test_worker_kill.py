"""A gunicorn worker killed (SIGKILL) in the middle of a load run loses nothing that was acknowledged.

Simulated participants walk the demo flow over HTTP against ``scripts/serve-production``;
one worker is killed while they are at it, later the whole site is stopped and started
again, and every participant then continues from the entry link with their own cookies.
Afterwards: every action a client saw acknowledged is in the database, everyone reached
the end, each step was completed exactly once in the event log, and (SQLite) the database
file passes ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from scl_testing import missing

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

pytest.importorskip("aiohttp")
import servers  # noqa: E402
from loadgen import AsyncTransport, Tally, client_session, run_participant  # noqa: E402

pytestmark = pytest.mark.slow

PARTICIPANTS = 24
AT_ONCE = 12


def _settings(backend: str, tmp_path: Path) -> servers.Settings:
    if backend == "postgresql":
        if not (servers.reachable("127.0.0.1", 5432) and servers.reachable("127.0.0.1", 6379)):
            missing("PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 are needed")
        servers.flush_redis_prefix(7)
        return servers.Settings(servers.fresh_postgres_database("scl_test_kill"), f"{servers.REDIS_URL}/7",
                                production=True, directory=tmp_path)
    return servers.Settings(f"sqlite:///{tmp_path}/kill.sqlite3", production=True, directory=tmp_path)


async def _walk_everyone(base: str, settings: servers.Settings, slug: str, tally: Tally,
                         transports: list[AsyncTransport], kill=None) -> list[str]:
    async with client_session(AT_ONCE) as session:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(index: int) -> str:
            async with gate:
                transports[index].session = session
                transports[index].bases = [base]
                return await run_participant(session, [base], slug, index, tally, settings.simulation_key,
                                             live_changes=2, transport=transports[index])

        tasks = [asyncio.create_task(one(i)) for i in range(PARTICIPANTS)]
        if kill is not None:
            await kill()
        return list(await asyncio.gather(*tasks))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_killed_worker_loses_no_acknowledged_action_and_everyone_resumes(backend, tmp_path):
    settings = _settings(backend, tmp_path)
    server = servers.production_server(settings, workers=2, threads=4)
    slug = "kill"
    try:
        settings.load_study(slug)
        tally = Tally(window=(0.0, float("inf")))
        transports = [AsyncTransport(None, [server.base_url], tally, settings.simulation_key)  # type: ignore[arg-type]
                      for _ in range(PARTICIPANTS)]

        killed: list[int] = []

        async def kill_one_worker() -> None:
            while tally.requests < 120:  # well into the run: participants on every step
                await asyncio.sleep(0.05)
            killed.append(server.workers()[0])
            os.kill(killed[0], signal.SIGKILL)

        asyncio.run(_walk_everyone(server.base_url, settings, slug, tally, transports, kill_one_worker))
        assert killed and killed[0] not in server.workers()  # gunicorn replaced the killed worker
    finally:
        server.stop()

    server = servers.production_server(settings, workers=2, threads=4)  # the site restarted
    try:
        second = asyncio.run(_walk_everyone(server.base_url, settings, slug, tally, transports))
    finally:
        server.stop()
    assert all(outcome in ("completed", "attention_failed") for outcome in second), (second, dict(tally.errors))

    stored = servers.count_events(settings, slug)
    for kind in ("consented", "suggestion_adopted", "suggestion_rejected"):
        assert stored.get(kind, 0) >= tally.acknowledged[kind], (kind, stored, tally.acknowledged)
    assert stored.get("step_completed", 0) >= tally.acknowledged["step_completed"] + tally.acknowledged["consented"]
    assert stored["consented"] == PARTICIPANTS  # a consent retried after the crash did not enter anyone twice

    engine = sa.create_engine(settings.database_url)
    with engine.connect() as connection:
        flow_length = None
        rows = connection.execute(sa.text(
            "SELECT p.id, p.step, p.status, "
            "  (SELECT COUNT(*) FROM event e WHERE e.participant_id = p.id AND e.kind = 'step_completed'),"
            "  (SELECT COUNT(*) FROM event e WHERE e.participant_id = p.id AND e.kind = 'completed') "
            "FROM participant p JOIN study s ON s.id = p.study_id WHERE s.slug = :slug"), {"slug": slug}).all()
        assert len(rows) == PARTICIPANTS
        for _id, step, status, steps_completed, completed in rows:
            assert step == "done" and status == "completed" and completed == 1
            flow_length = flow_length or steps_completed
            assert steps_completed == flow_length  # every step completed exactly once
        if backend == "sqlite":
            assert connection.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
