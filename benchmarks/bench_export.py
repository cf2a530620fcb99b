"""Benchmark the data export: 10,000 completed participants on SQLite, timed write_export.

    .venv/bin/python benchmarks/bench_export.py [--participants N] [--runs R] [--format csv|parquet]

Participants, their questionnaire answers, 3 suggestions each and ~30 events each are
bulk-inserted directly (not through the journey), then `write_export` runs R times and
the median is reported with the row counts and the size of the files.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.export import write_export  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Event, Participant, Response, Study, Suggestion  # noqa: E402

STEPS = ("consent", "thinking_style", "design", "suggestions", "revise", "closeness", "evaluation", "checks",
         "demographics")


def populate(study: Study, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    definition = study.current_version.definition
    catalogue = definition.catalogue()
    attributes = list(definition.suggestions.attributes)
    personas = [p.key for p in definition.personas["friend"]]
    ts_items = [i for i in definition.thinking_style.items]
    ev_items = [i for i in definition.evaluation.items]
    start = datetime(2026, 1, 1, 9, 0, 0)
    people, responses, suggestions, events = [], [], [], []
    first_id = (db.session.scalar(select(Participant.id).order_by(Participant.id.desc()).limit(1)) or 0) + 1
    suggestion_id = 1
    event_id = 1
    for index in range(n):
        pid = first_id + index
        began = start + timedelta(seconds=37 * index)
        initial = {a.key: rng.choice(a.level_keys) for a in catalogue.attributes}
        chosen = rng.sample(attributes, 3)
        final = dict(initial)
        adopted = 0
        rows = []
        for position, attribute in enumerate(chosen):
            options = [k for k in catalogue.attribute(attribute).level_keys if k != initial[attribute]]
            level = rng.choice(options)
            take = rng.random() < 0.4
            if take:
                final[attribute] = level
                adopted += 1
            rows.append(dict(id=suggestion_id, participant_id=pid, position=position, attribute=attribute,
                             initial_level=initial[attribute], suggested_level=level,
                             text=f"Nice shirt! How about {level}?", persona_key=personas[position],
                             persona_name=personas[position].title(), persona_avatar="fox", relation="friend",
                             relation_label="your friend", source="scripted", suggester_id=None, comment=None,
                             decision="adopted" if take else "rejected", decided_at=began,
                             final_level=final[attribute], created_at=began))
            suggestion_id += 1
        suggestions += rows
        ts = {i.key: (i.attention if i.attention is not None else rng.randint(1, 7)) for i in ts_items}
        ev = {i.key: rng.randint(1, 7) for i in ev_items}
        ios = {f"ios_{p}": rng.randint(1, 7) for p in personas}
        holism = statistics.fmean(8 - ts[i.key] if i.reverse else ts[i.key] for i in ts_items if i.attention is None)
        evaluation = statistics.fmean(8 - ev[i.key] if i.reverse else ev[i.key] for i in ev_items)
        answers = [("thinking_style", k, v, None) for k, v in ts.items()]
        answers += [("evaluation", k, v, None) for k, v in ev.items()]
        answers += [("evaluation", "wtp", rng.randint(0, 120), None)]
        answers += [("closeness", k, v, None) for k, v in ios.items()]
        answers += [("checks", "mc_visibility", rng.randint(1, 7), None), ("checks", "ac_colour", None, "Orange"),
                    ("demographics", "age", rng.randint(18, 70), None),
                    ("demographics", "gender", None, rng.choice(["woman", "man", "non_binary", ""]))]
        responses += [dict(participant_id=pid, block=b, item_key=k, value_num=v, value_text=t, answered_at=began)
                      for b, k, v, t in answers]
        at = began
        log = [("consent", "consented", {"version": 1}), ("consent", "assigned", {"cell": "public/friend"})]
        for step in STEPS:
            if step != "consent":
                log.append((step, "step_started", {}))
                log.append((step, "page_view", {}))
            if step == "design":
                log += [(step, "attribute_changed", {"attribute": "colour", "before": "white", "after": "blue",
                                                     "via": "live"})] * 3
            if step == "revise":
                log += [(step, "suggestion_adopted", {"suggestion_id": s["id"], "attribute": s["attribute"]})
                        for s in rows]
            log.append((step, "step_completed", {"seconds": round(rng.uniform(5, 120), 3)}))
        log.append(("done", "completed", {"outcome": "completed"}))
        for step, kind, payload in log:
            at += timedelta(seconds=rng.uniform(1, 20))
            events.append(dict(id=event_id, participant_id=pid, study_id=study.id, at=at, step=step, kind=kind,
                               payload=json.dumps(payload, sort_keys=True)))
            event_id += 1
        people.append(dict(
            id=pid, study_id=study.id, version_id=study.current_version_id, token=f"tok{pid}",
            entry_nonce=f"nonce{pid}", seed=rng.randrange(2**31), visibility=rng.choice(["public", "private"]),
            relation="friend", status="completed", step="done", step_started_at=at, is_pilot=index % 50 == 0,
            is_simulated=False, entered_at=began, consented_at=began, completed_at=at,
            deadline_at=began + timedelta(minutes=45),
            design_json=json.dumps({"choices": final, "monogram": ""}),
            initial_design_json=json.dumps({"choices": initial, "monogram": ""}),
            final_design_json=json.dumps({"choices": final, "monogram": ""}),
            holism=holism, evaluation=evaluation, closeness=statistics.fmean(ios.values()), attention_passed=True,
            outcome="completed", n_suggestions=3, n_adopted=adopted, conformity=adopted / 3,
            conformity_distance=adopted))
    for model, rows in ((Participant, people), (Suggestion, suggestions), (Response, responses), (Event, events)):
        for chunk in range(0, len(rows), 20000):
            db.session.execute(insert(model), rows[chunk:chunk + 20000])
    db.session.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                          "INSTANCE_PATH": str(tmp / "instance"), "SECRET_KEY": "bench",
                          "PSEUDONYM_KEY": "bench-key", "SEED_DEMO": True})
        with app.app_context():
            study = db.session.execute(select(Study).where(Study.slug == "demo")).scalar_one()
            began = time.perf_counter()
            populate(study, args.participants)
            print(f"inserted {args.participants:,} participants in {time.perf_counter() - began:.1f} s")
            times, cpu = [], []
            manifest = {}
            for run in range(args.runs):
                db.session.expire_all()
                began, began_cpu = time.perf_counter(), time.process_time()
                manifest = write_export(study, tmp / f"out{run}", fmt=args.format)
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                db.session.rollback()
            size = sum(entry["bytes"] for entry in manifest["files"].values())
            print(f"write_export ({args.format}): median {statistics.median(times):,.0f} ms over {args.runs} runs "
                  f"(runs: {', '.join(f'{t:,.0f}' for t in times)} ms; "
                  f"CPU time of this process, median {statistics.median(cpu):,.0f} ms)")
            for name, rows in manifest["row_counts"].items():
                print(f"  {name}: {rows:,} rows, {manifest['files'][name]['bytes'] / 1e6:.1f} MB")
            excluded = args.participants - manifest["row_counts"][f"participants.{args.format}"]
            print(f"  total written: {size / 1e6:.1f} MB in {len(manifest['files']) + 1} files "
                  f"(pilot participants excluded: {excluded})")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
