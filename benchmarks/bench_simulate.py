"""Simulated participants per second through Flask's test client: ``python benchmarks/bench_simulate.py``.

Each run drives N participants (default 50) through the demo study in process (every page
rendered, every answer stored: about 24 requests per participant) on a fresh SQLite file,
or on PostgreSQL with ``--database-url``. Prints the median over a few runs of
participants/s and requests/s, and the time the bots themselves spend (page parsing and
the behaviour model) as a share of the total.

    python benchmarks/bench_simulate.py [--participants 50] [--runs 3] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.simulate import run_simulation  # noqa: E402


def fresh_app(directory: Path, database_url: str | None):
    from webapp import create_app
    return create_app({
        "TESTING": True, "SECRET_KEY": "bench", "PSEUDONYM_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{directory / 'bench.sqlite3'}",
        "INSTANCE_PATH": str(directory / "instance"),
    })


def bot_share(app, n: int, seed: int) -> float:
    """Share of the run's time spent in experiments/ code (the bots), from one profiled run."""
    profile = cProfile.Profile()
    profile.runcall(run_simulation, app, "demo", n, seed, progress=False, start_index=10_000_000)
    stats = pstats.Stats(profile)
    total = stats.total_tt
    own = sum(tt for (file, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items()
              if "/experiments/" in file or "html/parser" in file)
    return own / total if total else 0.0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="e.g. postgresql+psycopg://postgres@127.0.0.1/bench "
                        "(an empty database; tables are created)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as directory:
        app = fresh_app(Path(directory), args.database_url)
        run_simulation(app, "demo", 2, seed=0, progress=False, start_index=9_000_000)  # warm-up
        rates, request_rates, per_participant = [], [], []
        for run in range(args.runs):
            summary = run_simulation(app, "demo", args.participants, seed=run, progress=False,
                                     concurrency=args.concurrency, start_index=run * args.participants)
            if summary.errors or summary.completed != args.participants:
                raise SystemExit(f"run {run} did not complete: {summary.format()}")
            rates.append(summary.participants_per_second)
            request_rates.append(summary.requests_per_second)
            per_participant.append(summary.requests / summary.completed)
        share = bot_share(app, max(5, args.participants // 5), seed=99)
        from webapp.extensions import db
        with app.app_context():
            dialect = db.engine.dialect.name
            db.engine.dispose()

    print(f"simulate demo in process ({dialect}), {args.participants} participants x {args.runs} runs, "
          f"concurrency {args.concurrency}:")
    print(f"  participants/s: median {statistics.median(rates):.2f} "
          f"(min {min(rates):.2f}, max {max(rates):.2f})")
    print(f"  requests/s:     median {statistics.median(request_rates):.0f} "
          f"({statistics.median(per_participant):.1f} requests per participant, redirects included)")
    print(f"  time in the bots (parsing pages, behaviour model): {100 * share:.0f}% of a profiled run")


if __name__ == "__main__":
    main()
