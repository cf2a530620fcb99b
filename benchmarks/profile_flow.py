"""Where a participant's server time goes: ``python benchmarks/profile_flow.py [--participants 30]``.

Walks bots through a copy of the demo study in process (Flask's test client, SQLite in a
temporary folder, or ``--database-url``), after a warm-up, and prints the server's own share:
CPU time (the thread's CPU inside the WSGI app, so neither the in-process client nor the
database server counts), SQL statements, database transactions and pool checkouts per
participant. ``--statements`` lists them per request and ``--sql`` prints every statement
of one participant. Then it profiles the same walk (cProfile, or ``--pyinstrument``) and
prints the functions that take most of the time. ``--live-changes 0`` is the flow without
the live editor.

CPU time is noisy on a shared machine; ``--instructions`` runs the measured walk under
valgrind's callgrind and counts only the instructions executed inside the server's requests,
which is the same on every run (slow: about 3 minutes per participant on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PREVIEW = re.compile(r'src="(/preview/[^"]+\.png)"')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--live-changes", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callers", help="also print who calls the functions matching this regex")
    parser.add_argument("--no-images", action="store_true", help="do not fetch the preview images pages show")
    parser.add_argument("--no-profile", action="store_true", help="measure only (no profile)")
    parser.add_argument("--statements", action="store_true", help="SQL statements and server CPU per request")
    parser.add_argument("--sql", action="store_true", help="print every statement of one participant")
    parser.add_argument("--server-only", action="store_true",
                        help="cProfile only inside the WSGI app (not the in-process client)")
    parser.add_argument("--timer", choices=("cpu", "wall"), default="wall",
                        help="cProfile's clock; cpu: the thread's CPU time (waits for the database do not count)")
    parser.add_argument("--pyinstrument", action="store_true",
                        help="a sampling profile of the server's share (pip install pyinstrument) instead of cProfile")
    parser.add_argument("--instructions", action="store_true",
                        help="count the server's instructions under valgrind (exact, whatever else runs)")
    parser.add_argument("--in-callgrind", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.instructions:
        count_instructions(sys.argv[1:] if argv is None else argv, args.participants)
        return
    app, walk = demo_walker(args)
    meter = ServerMeter(app)
    meter.callgrind = args.in_callgrind
    for i in range(5):  # warm-up: templates compiled, caches filled as on a running server
        walk(10_000 + i)
    meter.reset()  # first without a profiler: the CPU time it adds is not the server's
    meter.measuring = True
    cpu = time.process_time()
    requests = sum(walk(20_000 + i) for i in range(args.participants))
    cpu = time.process_time() - cpu
    meter.measuring = False
    print(f"without profiler: {cpu / args.participants * 1000:.1f} ms CPU per participant, "
          f"{cpu / requests * 1000:.2f} ms per request (server and in-process client together)")
    meter.report(args.participants, per_request=args.statements)
    if args.sql:
        meter.reset(keep_sql=True)
        walk(30_000)
        for route, statements in meter.sql:
            print(route)
            for statement in statements:
                print("    " + " ".join(statement.split())[:200])
    if args.no_profile:
        meter.stop()
    elif args.pyinstrument:
        from pyinstrument import Profiler
        meter.sampler = Profiler(interval=0.0002)
        sum(walk(i) for i in range(args.participants))
        meter.stop()
        print(meter.sampler.output_text(unicode=False, color=False, show_all=False))
    else:
        profile_with_cprofile(args, walk, meter)


def demo_walker(args):
    """The app on a fresh database with a roomy copy of the demo study, and a function walking one bot."""
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
        """Fetches the preview images a page shows, as a browser (and the load benchmark) does: a picture
        already fetched with the same session cookie comes from the browser's cache (loadgen.AsyncTransport)."""

        tally = Tally()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.image_cache: set[tuple[str, str]] = set()

        def fetch_image(self, url: str) -> None:
            if args.no_images:
                return
            cookie = self.client.get_cookie("session")
            key = (url, cookie.value if cookie else "")
            if key in self.image_cache:
                return
            response = self.client.get(url)
            if response.status_code == 200:
                self.image_cache.add(key)
            response.close()
            self.requests += 1

        def _page(self, response):
            page = super()._page(response)
            if args.no_images:
                return page
            for image in PREVIEW.findall(page.text):
                self.fetch_image(image)
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

    return app, walk


def profile_with_cprofile(args, walk, meter) -> None:
    profiler = cProfile.Profile(time.thread_time) if args.timer == "cpu" else cProfile.Profile()
    meter.profiler = profiler if args.server_only else None
    started = time.perf_counter()
    if not args.server_only:
        profiler.enable()
    requests = sum(walk(i) for i in range(args.participants))
    profiler.disable()
    meter.stop()
    elapsed = time.perf_counter() - started
    print(f"{args.participants} participants, {requests} requests: {elapsed / args.participants * 1000:.1f} ms "
          f"per participant, {elapsed / requests * 1000:.2f} ms per request (in process, under cProfile)")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    by_package: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        by_package[_package(filename)] = by_package.get(_package(filename), 0.0) + tottime
    total = sum(by_package.values())
    print("own time by package:")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {package:<28} {seconds / total:6.1%}  {seconds / args.participants * 1000:7.1f} ms per participant")
    if args.callers:
        stats.print_callers(args.callers)
    print(out.getvalue())


def _package(filename: str) -> str:
    if "html/parser" in filename or "_markupbase" in filename:
        return "html.parser (client)"
    parts = Path(filename).parts
    installed = next((parts[i + 1] for i, part in enumerate(parts) if part == "site-packages" and i + 1 < len(parts)),
                     None)
    if installed:
        return installed
    if "/webapp/" in filename:
        return "webapp"
    if "/experiments/" in filename or "/benchmarks/" in filename:
        return "experiments/bots (client)"
    return "stdlib/builtins"


def count_instructions(argv: list[str], participants: int) -> None:
    """Run this script under callgrind, counting only inside the measured requests; print per participant."""
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    argv = [a for a in argv if a != "--instructions"] + ["--no-profile", "--in-callgrind"]
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no",
                    "--toggle-collect=sys_call_tracing*", sys.executable, __file__, *argv],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "0"}, stderr=subprocess.DEVNULL)
    lines = out.read_text().splitlines()
    total = next(int(line.split()[1]) for line in lines if line.startswith(("summary:", "totals:")))
    print(f"server instructions (callgrind): {total / participants / 1e6:.1f} M per participant")


class ServerMeter:
    """The server's own share, by route: thread CPU inside the WSGI app, SQL statements, transactions,
    pool checkouts (each one a pre-ping round trip) and the time garbage collection took."""

    IDS = re.compile(r"/(?:[\w-]{16,}\.png|\d+)")

    def __init__(self, app):
        from sqlalchemy import event

        from webapp.extensions import db
        self.app, self.inner, self.event = app, app.wsgi_app, event
        self.current: list[str] | None = None
        self.profiler = self.sampler = None
        self.callgrind = self.measuring = False
        self._gc_started = 0.0
        self.reset()
        with app.app_context():
            self.engine = db.engine
        self.listeners = [(self.engine, "before_cursor_execute", self._count), (self.engine, "begin", self._begin),
                          (self.engine.pool, "checkout", self._checkout)]
        for target, name, listener in self.listeners:
            event.listen(target, name, listener)
        app.wsgi_app = self._call
        gc.callbacks.append(self._gc)

    def reset(self, keep_sql: bool = False) -> None:
        self.gc_seconds = [0.0, 0.0, 0.0]
        self.gc_count = [0, 0, 0]
        self.by_route: dict[str, list[float]] = {}  # route -> [requests, cpu s, statements, transactions, checkouts]
        self.sql: list[tuple[str, list[str]]] = []
        self.keep_sql = keep_sql
        self.transactions = self.checkouts = 0

    def stop(self) -> None:
        for target, name, listener in self.listeners:
            self.event.remove(target, name, listener)
        self.app.wsgi_app = self.inner
        gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.thread_time()
        elif self.current is not None:
            self.gc_seconds[info["generation"]] += time.thread_time() - self._gc_started
            self.gc_count[info["generation"]] += 1

    def _count(self, _connection, _cursor, statement, *_args) -> None:
        if self.current is not None:
            self.current.append(statement)

    def _begin(self, _connection) -> None:
        self.transactions += 1

    def _checkout(self, *_args) -> None:
        self.checkouts += 1

    def _call(self, environ, start_response):
        route = f"{environ['REQUEST_METHOD']} {self.IDS.sub('/…', environ.get('PATH_INFO', ''))}"
        self.current = []
        transactions, checkouts = self.transactions, self.checkouts
        started = time.thread_time()
        if self.profiler is not None:
            self.profiler.enable()
        if self.sampler is not None:
            self.sampler.start()
        try:
            if self.callgrind and self.measuring:  # valgrind counts only inside sys.call_tracing
                return sys.call_tracing(lambda: list(self.inner(environ, start_response)), ())
            return list(self.inner(environ, start_response))  # the body is produced inside the clock
        finally:
            if self.profiler is not None:
                self.profiler.disable()
            if self.sampler is not None:
                self.sampler.stop()
            cpu = time.thread_time() - started
            row = self.by_route.setdefault(route, [0, 0.0, 0, 0, 0])
            row[0] += 1
            row[1] += cpu
            row[2] += len(self.current)
            row[3] += self.transactions - transactions
            row[4] += self.checkouts - checkouts
            if self.keep_sql:
                self.sql.append((route, self.current))
            self.current = None

    def report(self, participants: int, per_request: bool = False) -> None:
        requests, cpu, statements, transactions, checkouts = (sum(r[i] for r in self.by_route.values())
                                                              for i in range(5))
        print(f"server only: {cpu / participants * 1000:.1f} ms CPU per participant, {cpu / requests * 1000:.2f} ms "
              f"per request ({requests / participants:.1f} requests); per participant {statements / participants:.1f} "
              f"SQL statements, {transactions / participants:.1f} transactions, "
              f"{checkouts / participants:.1f} pool checkouts")
        print("  garbage collection inside requests: " + ", ".join(
            f"gen{g} {self.gc_count[g] / participants:.1f}x {self.gc_seconds[g] / participants * 1000:.1f} ms"
            for g in range(3)) + " per participant")
        if per_request:
            for route, (n, seconds, count, begun, checked_out) in sorted(self.by_route.items(),
                                                                          key=lambda kv: -kv[1][1]):
                print(f"  {route:<40} n/part {n / participants:4.1f}  cpu {seconds / n * 1000:6.2f} ms"
                      f"  statements {count / n:4.1f}  transactions {begun / n:3.1f}  checkouts {checked_out / n:3.1f}")


if __name__ == "__main__":
    main()
