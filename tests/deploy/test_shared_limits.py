"""With Redis as the limiter's storage, separate server processes share one set of rate limits.

Two production instances (separate processes, separate ports) on one database and one Redis:
entries from one address, sent alternately to both, are refused after the limit in total,
not after the limit at each instance (which is what per-process memory storage would give).
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scl_testing import missing

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import servers  # noqa: E402

pytestmark = pytest.mark.slow
LIMIT = 4


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("storage, shared", [("redis", True), ("memory", False)])
def test_two_instances_share_the_entry_limit_through_redis(storage, shared, tmp_path):
    if storage == "redis":
        if not servers.reachable("127.0.0.1", 6379):
            missing("Redis at 127.0.0.1:6379 is needed")
        servers.flush_redis_prefix(8)
    settings = servers.Settings(f"sqlite:///{tmp_path}/limits.sqlite3",
                                f"{servers.REDIS_URL}/8" if storage == "redis" else "memory://",
                                production=True, directory=tmp_path)
    limit = {"SCL_ENTRY_RATE_LIMIT": f"{LIMIT} per minute"}
    first = servers.production_server(settings, workers=1, threads=2, **limit)
    second = servers.production_server(settings, workers=1, threads=2, **limit)
    try:
        settings.load_study("limits")
        statuses = [_status(f"{(first, second)[i % 2].base_url}/s/limits") for i in range(2 * LIMIT)]
    finally:
        first.stop()
        second.stop()
    if shared:  # one budget for both instances: the fifth entry, wherever it lands, is refused
        assert statuses[:LIMIT] == [200] * LIMIT and set(statuses[LIMIT:]) == {429}, statuses
    else:  # the contrast that shows the test can fail: each process counts on its own
        assert statuses == [200] * (2 * LIMIT), statuses
