"""Simulated participants: drive N bots through a study's pages, with planted effects.

    python -m experiments.simulate demo --participants 200 --seed 1
    python -m experiments.simulate experiments/visibility.toml --participants 300 --seed 7 --h1 0.1 --h2 0.5
    python -m experiments.simulate demo --participants 20 --seed 1 --base-url http://127.0.0.1:5000 \\
        --simulation-key "$SCL_SIMULATION_KEY"

In process (the default) the bots use Flask's test client on ``webapp.create_app()`` with
its default configuration (the instance SQLite database, or DATABASE_URL); a STUDY given as
a path to a TOML file is loaded into that database first. With --base-url they use urllib
against a running server; the simulation key (--simulation-key or SCL_SIMULATION_KEY) must
then match the server's, so it marks the participants as simulated.

Every option of the behaviour model (see experiments/behaviour.py) is a flag, e.g.
--h1 (the planted public x holism effect on adoption) and --h2 (conformity x closeness on
evaluation). Bots run interleaved in one thread (--concurrency), so studies with real peer
suggestions work: while some bots wait for suggestions, others review their designs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import webapp
from webapp.studies import current_definition, install_study_file

from .behaviour import BehaviourParams, SimulatedParticipant
from .bots import Bot, BotResult
from .definition import StudyFileError, load_study, study_files
from .transports import FlaskTransport, Transport, UrlTransport

STOPPING_OUTCOMES = ("full", "closed")
PARAM_HELP = {
    "holism_mean": "mean of latent holism (1-7 scale)",
    "holism_sd": "SD of latent holism (clipped to 1-7)",
    "adopt_base": "adoption probability per suggestion: private, holism 4",
    "adopt_public": "added adoption probability in public (at holism 4)",
    "adopt_holism": "adoption slope per holism point in private",
    "h1": "planted H1: extra slope in public (= OLS coefficient of public:holism)",
    "closeness_friend": "mean IOS closeness to friends",
    "closeness_stranger": "mean IOS closeness to strangers",
    "closeness_sd": "SD of closeness",
    "eval_intercept": "evaluation at conformity 0, closeness 4",
    "eval_conformity": "evaluation slope of conformity at closeness 4",
    "eval_closeness": "evaluation slope per closeness point at conformity 0",
    "h2": "planted H2 (= OLS coefficient of conformity:closeness)",
    "eval_noise_sd": "SD of the evaluation noise",
    "eval_min": "lower clip of latent evaluation",
    "eval_max": "upper clip of latent evaluation",
    "attention_fail_rate": "share of inattentive participants (fail every attention check)",
    "design_edits": "mean number of free attribute changes before submitting the first design",
    "revise_edits": "mean free changes to attributes nobody suggested, while revising",
    "monogram_rate": "probability of typing a monogram",
    "item_spread": "mean number of +1/-1 item pairs per scale (scores unchanged)",
    "wtp_median": "median willingness to pay",
}


@dataclass
class SimulationSummary:
    slug: str
    requested: int
    seed: int
    results: list[BotResult] = field(default_factory=list)
    elapsed: float = 0.0
    stopped: str | None = None

    @property
    def outcomes(self) -> Counter:
        return Counter(r.outcome for r in self.results)

    @property
    def completed(self) -> int:
        """Participants who reached the end (including those who failed an attention check)."""
        return sum(1 for r in self.results if r.outcome in ("completed", "attention_failed"))

    @property
    def cells(self) -> Counter:
        return Counter(r.cell for r in self.results if r.outcome in ("completed", "attention_failed"))

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.results)

    @property
    def errors(self) -> list[str]:
        return [f"participant {r.index}: {r.error}" for r in self.results if r.outcome == "error"]

    @property
    def participants_per_second(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "study": self.slug, "requested": self.requested, "seed": self.seed,
            "completed": self.completed, "outcomes": dict(self.outcomes), "cells": dict(sorted(self.cells.items())),
            "elapsed_seconds": round(self.elapsed, 3),
            "participants_per_second": round(self.participants_per_second, 2),
            "requests": self.requests, "requests_per_second": round(self.requests_per_second, 1),
            "stopped": self.stopped, "errors": self.errors[:20],
        }

    def format(self) -> str:
        lines = [f"study {self.slug}: {self.completed} of {self.requested} simulated participants completed "
                 f"(seed {self.seed})"]
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        lines.append(f"  outcomes: {outcomes or 'none'}")
        for cell, count in sorted(self.cells.items()):
            lines.append(f"  cell {cell}: {count}")
        lines.append(f"  elapsed {self.elapsed:.1f}s: {self.participants_per_second:.1f} participants/s, "
                     f"{self.requests} requests ({self.requests_per_second:.0f}/s)")
        if self.stopped:
            lines.append(f"  stopped early: {self.stopped}")
        for error in self.errors[:10]:
            lines.append(f"  error: {error}")
        return "\n".join(lines)


# ---------------------------------------------------------------- running
def study_definition(app, slug: str):
    """The current definition of a loaded study (in process)."""
    return current_definition(app, slug)


def install_study(app, path: str | Path) -> str:
    """Load (or update) a study file into the app's database; returns its slug."""
    return install_study_file(app, path)


def shipped_definition(slug: str):
    """The definition of a study file shipped under experiments/ with this slug, if any."""
    for path in study_files():
        try:
            definition = load_study(path)
        except StudyFileError:
            continue
        if definition.slug == slug:
            return definition
    return None


def run_bots(make_bot: Callable[[int], Bot], n: int, concurrency: int = 1, progress=None,
             sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
             stop_on: tuple[str, ...] = STOPPING_OUTCOMES) -> tuple[list[BotResult], str | None]:
    """Run up to n bots, at most ``concurrency`` at a time, interleaved in this thread.

    A bot yields after each request; when it yields a wait it is skipped until its time
    comes, and the scheduler sleeps only when every running bot is waiting. When one bot
    finds the study full or closed, no new bots start.
    """
    concurrency = max(1, int(concurrency))
    results: list[BotResult] = []
    running: list[tuple[Bot, Iterator[float], list[float]]] = []
    started = 0
    stopped: str | None = None

    def start_more():
        nonlocal started
        while stopped is None and started < n and len(running) < concurrency:
            bot = make_bot(started)
            started += 1
            running.append((bot, bot.steps(), [0.0]))

    start_more()
    while running:
        now = clock()
        progressed = False
        for entry in list(running):
            bot, steps, wake = entry
            if wake[0] > now:
                continue
            progressed = True
            try:
                wait = next(steps)
            except StopIteration:
                running.remove(entry)
                results.append(bot.result)
                if progress is not None:
                    progress.update(1)
                if bot.result.outcome in stop_on and stopped is None:
                    stopped = f"study {bot.result.outcome} (after {len(results)} participants started)"
                continue
            wake[0] = clock() + wait if wait else 0.0
        start_more()
        if not progressed and running:
            sleep(max(0.0, min(w[0] for _, _, w in running) - clock()))
    results.sort(key=lambda r: r.index)
    return results, stopped


def run_simulation(target, slug: str, n: int, seed: int, params: BehaviourParams | None = None,
                   progress: bool = True, *, concurrency: int = 1, definition=None,
                   simulation_key: str | None = None, start_index: int = 0,
                   sleep: Callable[[float], None] = time.sleep) -> SimulationSummary:
    """Drive n simulated participants through study ``slug``.

    ``target`` is a Flask app (driven in process through its test client, with the app's
    own simulation key) or a callable returning a fresh :class:`~experiments.bots.Transport`
    per participant (e.g. ``lambda: UrlTransport(url, key)``). ``definition`` tells the bots
    which items are reverse-coded and what the attention checks expect; for an app it is
    read from the database. Participant i uses the behaviour stream (seed, start_index + i).
    """
    params = params or BehaviourParams()
    if hasattr(target, "test_client"):
        app = target
        definition = definition or study_definition(app, slug)
        make_transport: Callable[[], Transport] = partial(FlaskTransport, app, simulation_key)
    else:
        make_transport = target
        definition = definition or shipped_definition(slug)

    def make_bot(i: int) -> Bot:
        index = start_index + i
        person = SimulatedParticipant(params, seed, index)
        return Bot(make_transport(), slug, person, definition, index=index)

    summary = SimulationSummary(slug=slug, requested=n, seed=seed)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n, desc=f"simulating {slug}", unit="participant", file=sys.stderr)
    began = time.perf_counter()
    try:
        summary.results, summary.stopped = run_bots(make_bot, n, concurrency, bar, sleep=sleep)
    finally:
        summary.elapsed = time.perf_counter() - began
        if bar is not None:
            bar.close()
    return summary


# ---------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.simulate",
        description="Drive simulated participants through a study, with planted H1/H2 effects.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("study", help="slug of a loaded study, or path to a study TOML file")
    parser.add_argument("--participants", "-n", type=int, required=True, help="how many participants")
    parser.add_argument("--seed", type=int, required=True, help="seed of the behaviour model")
    parser.add_argument("--base-url", default=None,
                        help="drive a running server at this address instead of the in-process app")
    parser.add_argument("--simulation-key", default=None,
                        help="the server's SIMULATION_KEY (with --base-url; default: env SCL_SIMULATION_KEY)")
    parser.add_argument("--unflagged", action="store_true",
                        help="with --base-url and no simulation key: run anyway; the participants count as real")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="participants in progress at the same time (interleaved in one thread)")
    parser.add_argument("--start-index", type=int, default=0,
                        help="index of the first participant (continue an earlier run with new people)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    model = parser.add_argument_group("behaviour model (see experiments/behaviour.py)")
    defaults = BehaviourParams()
    for name in BehaviourParams.option_names():
        model.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=getattr(defaults, name),
                           metavar="X", help=PARAM_HELP.get(name))
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.participants < 1:
        parser.error("--participants must be at least 1")
    try:
        params = BehaviourParams(**{name: getattr(args, name) for name in BehaviourParams.option_names()})
    except ValueError as error:
        parser.error(str(error))
    low, high = params.adoption_range()
    if low < 0.02 or high > 0.98:
        print(f"warning: adoption probability reaches {low:.2f}..{high:.2f}; it is clipped to [0.02, 0.98], "
              "so --h1 is no longer exactly the OLS interaction coefficient", file=sys.stderr)
    is_file = args.study.endswith(".toml") or Path(args.study).is_file()
    try:
        if args.base_url:
            key = args.simulation_key or os.environ.get("SCL_SIMULATION_KEY")
            if not key and not args.unflagged:
                print("error: --base-url needs --simulation-key or SCL_SIMULATION_KEY (or --unflagged to enter "
                      "participants NOT marked as simulated)", file=sys.stderr)
                return 2
            if is_file:
                definition = load_study(args.study)
                slug = definition.slug
            else:
                slug, definition = args.study, shipped_definition(args.study)
                if definition is None:
                    print(f"warning: no study file for {slug!r} under experiments/: reverse-coded items and "
                          "attention answers are guessed from the pages", file=sys.stderr)
            base_url = args.base_url
            summary = run_simulation(lambda: UrlTransport(base_url, key), slug, args.participants, args.seed,
                                     params, progress=not args.no_progress, concurrency=args.concurrency,
                                     definition=definition, start_index=args.start_index)
        else:
            app = webapp.create_app()  # looked up when called, so a test can hand in its own app
            slug = install_study(app, args.study) if is_file else args.study
            summary = run_simulation(app, slug, args.participants, args.seed, params,
                                     progress=not args.no_progress, concurrency=args.concurrency,
                                     start_index=args.start_index)
    except (LookupError, OSError, ValueError) as error:  # StudyFileError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary.format())
    return 1 if summary.errors else 0


if __name__ == "__main__":
    sys.exit(main())
