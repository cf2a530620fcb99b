"""Where a participant's server time goes: ``python benchmarks/profile_flow.py [--participants 30]``.

Walks bots through a copy of the demo study in process (Flask's test client, SQLite in a
temporary folder, or ``--database-url``), under cProfile, after a warm-up, and prints the
server time per participant, per request, and the functions that take most of it.
``--live-changes 0`` profiles the flow without the live editor.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--live-changes", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callers", help="also print who calls the functions matching this regex")
    parser.add_argument("--no-images", action="store_true", help="do not fetch the preview images pages show")
    parser.add_argument("--no-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from loadgen import LoadBot, Tally  # the same fixed script as the load benchmark

    from experiments.behaviour import BehaviourParams, SimulatedParticipant
    from experiments.bots import FlaskTransport
    from webapp import create_app
    from webapp.extensions import db
    from webapp.studies import load_study_file

    directory = tempfile.mkdtemp()
    app = create_app({"SECRET_KEY": "profile", "PSEUDONYM_KEY": "profile", "SEED_DEMO": False,
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{directory}/profile.sqlite3",
                      "INSTANCE_PATH": f"{directory}/instance", "DATABASE_SETUP": "create_all",
                      "SIMULATION_KEY": "profile-key"})
    text = (Path(__file__).resolve().parents[1] / "experiments" / "demo.toml").read_text()
    text = text.replace("target_n_per_cell = 100", "target_n_per_cell = 100000")
    study_file = Path(directory) / "demo.toml"
    study_file.write_text(text, encoding="utf-8")
    with app.app_context():
        load_study_file(study_file, None, "open")
        db.session.commit()

    class Counting(FlaskTransport):
        """Fetches the preview images a page shows, as a browser (and the load benchmark) does."""

        tally = Tally()

        def fetch_image(self, url: str) -> None:
            if args.no_images:
                return
            self.client.get(url).close()
            self.requests += 1

        def _page(self, response):
            page = super()._page(response)
            if args.no_images:
                return page
            for image in __import__("re").findall(r'src="(/preview/[^"]+\.png)"', page.text):
                self.client.get(image).close()
                self.requests += 1
            return page

    def walk(index: int) -> int:
        transport = Counting(app, simulation_key="profile-key")
        person = SimulatedParticipant(BehaviourParams(), 11, index)
        person.monogram = lambda max_length=3: None
        bot = LoadBot(transport, "demo", person, index=index, live_changes=args.live_changes)
        bot.run(sleep=lambda s: None)
        if bot.result.outcome not in ("completed", "attention_failed"):
            raise SystemExit(f"participant {index}: {bot.result.outcome} {bot.result.error}")
        return transport.requests

    for i in range(5):  # warm-up: templates compiled, caches filled as on a running server
        walk(10_000 + i)
    profiler = cProfile.Profile()
    requests = 0
    if not args.no_profile:  # first without the profiler: the CPU time it adds is not the server's
        cpu = time.process_time()
        requests = sum(walk(20_000 + i) for i in range(args.participants))
        cpu = time.process_time() - cpu
        print(f"without profiler: {cpu / args.participants * 1000:.1f} ms CPU per participant, "
              f"{cpu / requests * 1000:.2f} ms per request (server and in-process client together)")
    started = time.perf_counter()
    profiler.enable()
    requests = sum(walk(i) for i in range(args.participants))
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.participants} participants, {requests} requests: {elapsed / args.participants * 1000:.1f} ms "
          f"per participant, {elapsed / requests * 1000:.2f} ms per request (in process, under cProfile)")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    by_package = _own_time_by_package(stats)
    total = sum(by_package.values())
    print("own time by package:")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {package:<28} {seconds / total:6.1%}  {seconds / args.participants * 1000:7.1f} ms per participant")
    if args.callers:
        stats.print_callers(args.callers)
    print(out.getvalue())


def _package_of(filename: str) -> str:
    """Which package a profiled function belongs to: a site-package, the server, the client or the stdlib."""
    if "html/parser" in filename or "_markupbase" in filename:
        return "html.parser (client)"
    parts = Path(filename).parts
    package = next((parts[i + 1] for i, part in enumerate(parts) if part == "site-packages" and i + 1 < len(parts)),
                   None)
    if package:
        return package
    if "/webapp/" in filename:
        return "webapp"
    if "/experiments/" in filename or "/benchmarks/" in filename:
        return "experiments/bots (client)"
    return "stdlib/builtins"


def _own_time_by_package(stats: pstats.Stats) -> dict[str, float]:
    by_package: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        package = _package_of(filename)
        by_package[package] = by_package.get(package, 0.0) + tottime
    return by_package


if __name__ == "__main__":
    main()
