"""Load on the real site over HTTP: ``python benchmarks/bench_load.py`` (about 15 minutes; see --help).

It starts the site itself, as ``flask --app webapp run`` on SQLite and as
``scripts/serve-production`` (gunicorn, 2 workers) on PostgreSQL with Redis, loads a copy of
the demo study with room for everyone, and drives simulated participants (the project's
bots, asynchronous, loopback only) through the whole demo flow as a browser does: every page
and form, the stylesheet and scripts once, every preview image a page shows, ``--live-changes``
changes on the design page each followed by the preview it returns, one adoption.

Closed loop (default): C participants at a time for C in --concurrency; each run has a ramp,
a warm-up and a measured window. It prints participants/s, requests/s, latency percentiles,
errors by kind, server CPU per participant (the server's own processes, from /proc, and
PostgreSQL's separately), peak RSS per worker, and the events in the database against the
actions the clients saw acknowledged (they must be equal). In the same run a minimal Flask
app under the same gunicorn settings (benchmarks/floor_app.py, one small write per request)
gives the floor, and our requests/s are printed as a ratio of it. ``--two-instances`` runs two
production instances on two ports against one database and one Redis, every request of a
participant going to the other instance than the one before.

Launch mode: ``--arrivals 500 --think-s 3``: 500 participants arriving evenly over 60 s, each
pausing about 3 s on every page; prints p95 latency and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import servers  # noqa: E402
from loadgen import Tally, client_session, run_participant  # noqa: E402

VERBOSE = False
EVENT_KINDS = ("consented", "step_completed", "attribute_changed", "suggestion_adopted", "suggestion_rejected")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def closed_loop(bases: list[str], slug: str, key: str, concurrency: int, live_changes: int,
                      ramp: float, warmup: float, window: float, rotate: bool, watch, images: bool = True) -> Tally:
    """C participants at a time: as one finishes, the next one enters."""
    tally = Tally()
    stop = asyncio.Event()
    counter = iter(range(10**9))

    async with client_session(concurrency) as session:
        async def seat(delay: float) -> None:
            await asyncio.sleep(delay)
            while not stop.is_set():
                await run_participant(session, bases, slug, next(counter), tally, key, live_changes, rotate=rotate,
                                      fetch_previews=images)

        seats = [asyncio.create_task(seat(ramp * i / concurrency)) for i in range(concurrency)]
        await asyncio.sleep(ramp + warmup)
        start = time.monotonic()
        tally.window = (start, start + window)
        before = watch()
        await asyncio.sleep(window)
        after = watch()
        stop.set()
        tally.cpu = {k: after[k] - before[k] for k in after}
        # let every participant who is on their way finish, so the event counts can be compared
        await asyncio.wait_for(asyncio.gather(*seats), timeout=180)
    return tally


async def closed_loop_floor(base: str, concurrency: int, window: float, warmup: float,
                            watch) -> tuple[float, float, dict]:
    """The floor app under the same concurrency: requests/s and latency p50."""
    latencies: list[float] = []
    stop = asyncio.Event()
    measuring = [False]
    async with client_session(concurrency) as session:
        async def seat() -> None:
            while not stop.is_set():
                started = time.monotonic()
                async with session.get(base + "/step") as response:
                    await response.read()
                if measuring[0]:
                    latencies.append(time.monotonic() - started)

        seats = [asyncio.create_task(seat()) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        measuring[0] = True
        before = watch()
        await asyncio.sleep(window)
        after = watch()
        measuring[0] = False
        stop.set()
        await asyncio.gather(*seats)
    return len(latencies) / window, statistics.median(latencies) * 1000, {k: after[k] - before[k] for k in after}


async def arrivals(bases: list[str], slug: str, key: str, count: int, over: float, think_s: float,
                   live_changes: int) -> Tally:
    """An open launch: participants arrive evenly over ``over`` seconds and pause on each page."""
    tally = Tally()
    start = time.monotonic()
    tally.window = (start, start + 10**6)
    async with client_session(count) as session:
        async def one(index: int) -> None:
            await asyncio.sleep(over * index / count)
            think = think_s * random.uniform(0.5, 1.5)
            await run_participant(session, bases, slug, index, tally, key, live_changes, think_s=think)

        await asyncio.gather(*(one(i) for i in range(count)))
    return tally


def watcher(server_list):
    def read() -> dict[str, float]:
        pids = [p for s in server_list for p in s.pids()]
        return {"server": servers.cpu_seconds(pids), "postgres": servers.cpu_seconds(servers.postgres_pids())}
    return read


def report_run(label: str, tally: Tally, window: float, settings: servers.Settings, slug: str,
               server_list, floor_rps: float | None) -> dict:
    rps = len(tally.latencies) / window
    pps = tally.completed_in_window / window
    cpu = tally.cpu or {"server": float("nan"), "postgres": float("nan")}
    # CPU per request in the window, times the requests a participant makes from entry to the end
    per_flow = tally.completed_requests / tally.completed if tally.completed else float("nan")
    requests = max(1, len(tally.latencies))
    per_participant = cpu["server"] / requests * per_flow * 1000
    pg_per_participant = cpu["postgres"] / requests * per_flow * 1000
    rss = [servers.peak_rss_mb(p) for s in server_list for p in s.workers()]
    events = servers.count_events(settings, slug)
    expected = dict(tally.acknowledged)
    # consent also completes the consent step; an adoption changes the suggested attribute (its level
    # always differs from the initial design's, and nothing else changed it before the decisions)
    expected["step_completed"] = expected.get("step_completed", 0) + expected.get("consented", 0)
    expected["attribute_changed"] = expected.get("attribute_changed", 0) + expected.get("suggestion_adopted", 0)
    mismatched = {k: (expected.get(k, 0), events.get(k, 0)) for k in EVENT_KINDS
                  if expected.get(k, 0) != events.get(k, 0)}
    errors = dict(tally.errors)
    print(f"{label:<34} {pps:6.1f} part/s {rps:7.1f} req/s  p50 {percentile(tally.latencies, .5) * 1000:6.1f}"
          f"  p95 {percentile(tally.latencies, .95) * 1000:6.1f}  p99 {percentile(tally.latencies, .99) * 1000:7.1f} ms"
          f"  cpu/part {per_participant:5.1f} ms ("
          + ("" if settings.database_url.startswith("sqlite") else f"+pg {pg_per_participant:4.1f}; ")
          + f"{per_flow:.0f} req)"
          f"  peak RSS/worker {max(rss) if rss else float('nan'):5.0f} MB"
          + (f"  {rps / floor_rps:.2f}x floor" if floor_rps else ""))
    print(f"{'':<34} errors {errors or 'none'}; events vs acknowledged actions: "
          f"{'equal (' + str(sum(events.get(k, 0) for k in EVENT_KINDS)) + ')' if not mismatched else mismatched}")
    if VERBOSE:
        for route, samples in sorted(tally.by_route.items(), key=lambda kv: -sum(kv[1])):
            print(f"{'':<38}{route:<44} n={len(samples):5d}  median {statistics.median(samples) * 1000:7.1f} ms  "
                  f"total {sum(samples):6.1f} s")
    return {"participants_per_s": pps, "errors": errors, "mismatched": mismatched}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="dev,production",
                        help="dev (flask run, SQLite), production (gunicorn, PostgreSQL, Redis)")
    parser.add_argument("--concurrency", default="10,50,200")
    parser.add_argument("--flows", default="full,no-live", help="full (3 live changes + previews) and/or no-live")
    parser.add_argument("--live-changes", type=int, default=3)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-images", action="store_true",
                        help="clients do not fetch preview images (pages and forms only, as behind an image cache)")
    parser.add_argument("--two-instances", action="store_true",
                        help="also run two production instances, clients across both")
    parser.add_argument("--arrivals", type=int, default=0,
                        help="launch mode: this many participants over --over seconds")
    parser.add_argument("--over", type=float, default=60.0)
    parser.add_argument("--think-s", type=float, default=3.0)
    parser.add_argument("--routes", action="store_true", help="latency by route after each run")
    args = parser.parse_args(argv)
    global VERBOSE
    VERBOSE = args.routes
    concurrency = [int(c) for c in args.concurrency.split(",") if c]
    flows = {"full": args.live_changes, "no-live": 0}
    flows = {name: flows[name] for name in args.flows.split(",") if name}
    wanted = set(args.servers.split(","))
    if "production" in wanted or args.arrivals or args.two_instances:
        if not (servers.reachable("127.0.0.1", 5432) and servers.reachable("127.0.0.1", 6379)):
            print("production mode needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379", file=sys.stderr)
            return 2
    failed = False
    print(f"bench_load: {'no preview images, ' if args.no_images else ''}window {args.window:.0f} s after a "
          f"{args.ramp:.0f} s ramp and {args.warmup:.0f} s warm-up; "
          f"production = {args.workers} workers x {args.threads} threads")

    def run_closed(label_prefix, server_list, settings, floor=None):
        nonlocal failed
        bases = [s.base_url for s in server_list]
        for flow, changes in flows.items():
            for c in concurrency:
                slug = f"load-{flow}-{c}-{int(time.time()) % 100000}"
                settings.load_study(slug)
                tally = asyncio.run(closed_loop(bases, slug, settings.simulation_key, c, changes, args.ramp,
                                                args.warmup, args.window, len(bases) > 1, watcher(server_list),
                                                images=not args.no_images))
                result = report_run(f"{label_prefix} {flow:<7} C={c}", tally, args.window, settings, slug,
                                    server_list, (floor or {}).get(c))
                failed |= bool(result["errors"] or result["mismatched"])

    if args.arrivals:
        settings = servers.Settings(servers.fresh_postgres_database("scl_load"), f"{servers.REDIS_URL}/3",
                                    production=True)
        servers.flush_redis_prefix(3)
        server = servers.production_server(settings, workers=args.workers, threads=args.threads)
        try:
            slug = "launch"
            settings.load_study(slug)
            tally = asyncio.run(arrivals([server.base_url], slug, settings.simulation_key, args.arrivals, args.over,
                                         args.think_s, flows.get("full", args.live_changes)))
            print(f"launch: {args.arrivals} participants over {args.over:.0f} s, ~{args.think_s:.0f} s per page: "
                  f"{tally.completed} completed, {tally.requests} requests, "
                  f"p50 {percentile(tally.latencies, .5) * 1000:.1f} ms, "
                  f"p95 {percentile(tally.latencies, .95) * 1000:.1f} ms, "
                  f"p99 {percentile(tally.latencies, .99) * 1000:.1f} ms, "
                  f"errors {dict(tally.errors) or 'none'}, peak RSS/worker "
                  f"{max(servers.peak_rss_mb(p) for p in server.workers()):.0f} MB")
            failed |= bool(tally.errors) or tally.completed != args.arrivals
        finally:
            server.stop()
        return 1 if failed else 0

    if "dev" in wanted:
        settings = servers.Settings(f"sqlite:///{servers.Path(servers.tempfile.mkdtemp())}/load.sqlite3")
        server = servers.dev_server(settings)
        try:
            run_closed("dev/SQLite", [server], settings)
        finally:
            server.stop()

    if "production" in wanted:
        settings = servers.Settings(servers.fresh_postgres_database("scl_load"), f"{servers.REDIS_URL}/3",
                                    production=True)
        servers.flush_redis_prefix(3)
        floor: dict[int, float] = {}
        if not args.no_floor:
            floor_settings = servers.Settings(servers.fresh_postgres_database("scl_load_floor"))
            floor_app = servers.floor_server(floor_settings, workers=args.workers, threads=args.threads)
            try:
                for c in concurrency:
                    rps, p50, cpu = asyncio.run(closed_loop_floor(floor_app.base_url, c, args.window, args.warmup,
                                                                  watcher([floor_app])))
                    floor[c] = rps
                    print(f"{'floor (minimal Flask app) C=' + str(c):<34} {rps:7.1f} req/s  p50 {p50:6.1f} ms  "
                          f"cpu/request {cpu['server'] / max(1, rps * args.window) * 1000:.2f} ms")
            finally:
                floor_app.stop()
        server = servers.production_server(settings, workers=args.workers, threads=args.threads)
        try:
            run_closed("production/PostgreSQL", [server], settings, floor)
        finally:
            server.stop()

    if args.two_instances:
        settings = servers.Settings(servers.fresh_postgres_database("scl_load_two"), f"{servers.REDIS_URL}/4",
                                    production=True)
        servers.flush_redis_prefix(4)
        first = servers.production_server(settings, workers=1, threads=args.threads)
        second = servers.production_server(settings, workers=1, threads=args.threads)
        try:
            run_closed("two instances (1 worker each)", [first, second], settings)
        finally:
            first.stop()
            second.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
