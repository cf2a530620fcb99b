"""The data export: participants driven through the real journey, then exported and checked.

Exporting only reads. The tests that export one walked participant and change nothing share that
world per database (ONE_ENTRANT: built once, on a database of this module's own, and checked
unchanged after each of them); the others walk their own participants on a fresh database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import demo_as, participant_row_at
from exporting import EVAL_ITEMS, TS_ITEMS, expected_pid, export, header, read_csv, walk
from shared_worlds import shared_app, unchanged

TS_REVERSE = {"ts_cause_person", "ts_contra_one", "ts_change_trend", "ts_attn_focus"}
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- one entrant, shared by the read-only tests
@dataclass
class OneEntrant:
    """One participant walked through the demo (recruiting id ZIPSECRET1, one suggestion adopted), and the
    same person once through demo-copy, the demo installed under another slug."""

    app: object
    demo_id: int
    copy_id: int


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def one_entrant_world(request, tmp_path_factory):
    """ONE_ENTRANT on a database of its own (the per-test fixtures empty the worker's PostgreSQL database)."""
    with shared_app(request, tmp_path_factory, "export-one-entrant") as app:
        demo_as(app, "demo-copy", "copy.toml")
        yield OneEntrant(app=app, demo_id=walk(app, pid="ZIPSECRET1", adopt=1),
                         copy_id=walk(app, "demo-copy", pid="ZIPSECRET1"))


@pytest.fixture
def one_entrant(one_entrant_world):
    """The shared world for one test, which must leave every row as it was."""
    with unchanged(one_entrant_world.app):
        yield one_entrant_world


# ---------------------------------------------------------------- the tests
REQUIRED = ("participant_id", "condition", "relation", "holism", "conformity", "conformity_distance",
            "n_suggestions", "n_adopted", "closeness", "evaluation", "wtp", "manipulation_check",
            "attention_passed", "age", "gender", "status", "study_version", "started_at", "completed_at",
            "duration_s", "simulated", "outcome")


def test_export_columns_values_privacy_and_manifest(app, tmp_path):
    ts_answers = dict(zip(TS_ITEMS, (7, 2, 6, 3, 5, 1, 6, 4)))
    first = walk(app, pid="SECRETPIDAAA111", ts=ts_answers, adopt=2, closeness=6, wtp="42.5", mc=7)
    second = walk(app, pid="SECRETPIDBBB222", ts=3, adopt=0, closeness=2, evaluation=2, attention="Blue",
                  age="", gender="")
    pilot = walk(app, pid="SECRETPIDCCC333", pilot_cell="private/friend")
    manifest = export(app, tmp_path / "out")
    out = tmp_path / "out"

    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["participants.csv", "entries.csv", "suggestions.csv", "events.csv", "codebook.json", "codebook.md",
         "manifest.json"])
    columns = header(out / "participants.csv")
    for column in REQUIRED + TS_ITEMS + EVAL_ITEMS + ("ts_attention", "mc_visibility", "ac_colour", "ios_sam",
                                                       "seconds_thinking_style", "seconds_revise"):
        assert column in columns, column
    assert "pilot" not in columns
    rows = {row["participant_id"]: row for row in read_csv(out / "participants.csv")}
    assert set(rows) == {expected_pid(app, "demo", first), expected_pid(app, "demo", second)}

    one = rows[expected_pid(app, "demo", first)]
    holism = sum(8 - v if k in TS_REVERSE else v for k, v in ts_answers.items()) / 8
    assert float(one["holism"]) == pytest.approx(holism)
    assert one["ts_cause_person"] == "2" and one["ts_attention"] == "2"
    assert (one["n_suggestions"], one["n_adopted"]) == ("3", "2")
    assert float(one["conformity"]) == pytest.approx(2 / 3)
    assert float(one["closeness"]) == 6.0 and float(one["wtp"]) == 42.5
    assert float(one["evaluation"]) == pytest.approx((5 * 4 + 3) / 5)  # eval_regret is reverse-coded
    assert one["manipulation_check"] == "7" == one["mc_visibility"]
    assert one["attention_passed"] == "true" and one["outcome"] == "completed" and one["ac_colour"] == "Orange"
    assert (one["age"], one["gender"], one["status"], one["simulated"]) == ("30", "woman", "completed", "false")
    assert one["condition"] in ("public", "private") and one["relation"] == "friend"
    assert one["study_version"] == "1"
    assert one["started_at"].endswith("Z") and one["completed_at"].endswith("Z")
    assert float(one["duration_s"]) >= 0 and float(one["seconds_revise"]) >= 0
    assert one["monogram_used"] == "true"

    two = rows[expected_pid(app, "demo", second)]
    assert float(two["holism"]) == 4.0  # 3 everywhere: reversed items become 5
    assert (two["n_adopted"], two["conformity"]) == ("0", "0.0")
    assert two["attention_passed"] == "false" and two["outcome"] == "attention_failed"
    assert two["age"] == "" and two["gender"] == ""

    suggestions = read_csv(out / "suggestions.csv")
    assert len(suggestions) == 6
    mine = [s for s in suggestions if s["participant_id"] == one["participant_id"]]
    assert [s["adopted"] for s in mine] == ["true", "true", "false"]
    assert [s["decision"] for s in mine] == ["adopted", "adopted", "rejected"]
    for s in mine:
        assert s["final_level"] == (s["suggested_level"] if s["adopted"] == "true" else s["initial_level"])
        assert s["source"] == "scripted" and s["suggester_id"] == "" and s["comment"] == ""
        assert s["final_level"] == one[f"final_{s['attribute']}"]
        assert s["initial_level"] == one[f"initial_{s['attribute']}"]

    events = read_csv(out / "events.csv")
    assert header(out / "events.csv") == ["participant_id", "event_id", "at", "step", "kind", "payload"]
    assert {e["participant_id"] for e in events} == set(rows)
    assert all(isinstance(json.loads(e["payload"]), dict) and e["at"].endswith("Z") for e in events)
    step_seconds = {e["step"]: json.loads(e["payload"])["seconds"] for e in events
                    if e["participant_id"] == one["participant_id"] and e["kind"] == "step_completed"}
    assert float(one["seconds_evaluation"]) == pytest.approx(step_seconds["evaluation"])

    # no direct identifiers anywhere: recruiting ids (raw or hashed), IP, user agent, monogram letters
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        hashes = [h for p in db.session.query(Participant).all() for h in (p.recruit_id_hash, p.recruit_session_hash)]
    blob = b"".join(path.read_bytes() for path in out.iterdir())
    for secret in ("SECRETPID", "sessSECRET", "203.0.113.77", "SecretAgent", '"JD"', *hashes):
        assert secret.encode() not in blob, secret

    # the manifest lists every file with its hash and the row counts
    assert manifest == json.loads((out / "manifest.json").read_text())
    assert manifest["study"]["slug"] == "demo" and manifest["study"]["current_version"] == 1
    assert manifest["exported_at"].endswith("Z") and manifest["software"]["version"]
    assert manifest["row_counts"] == {"participants.csv": 2, "entries.csv": 2, "suggestions.csv": 6,
                                      "events.csv": len(events)}
    assert set(manifest["files"]) == {"participants.csv", "entries.csv", "suggestions.csv", "events.csv",
                                      "codebook.json", "codebook.md"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()

    # the codebook describes every column of every file, with the item wording
    book = json.loads((out / "codebook.json").read_text())
    markdown = (out / "codebook.md").read_text()
    for name in ("participants.csv", "suggestions.csv", "events.csv"):
        described = book["files"][name]
        assert [c["name"] for c in described] == header(out / name)
        for column in described:
            assert column["type"] in ("string", "integer", "number", "boolean", "datetime", "json")
            assert column["meaning"] and column["values"], column
            assert f"`{column['name']}`" in markdown
    items = {c["name"]: c for c in book["files"]["participants.csv"]}
    assert items["ts_cause_context"]["item_text"].startswith("What happens to a person")
    assert items["ac_colour"]["allowed"] == ["Blue", "Green", "Orange", "Grey"]
    assert items["condition"]["allowed"] == ["public", "private"]

    # pilot participants come only when asked, flagged
    export(app, tmp_path / "with_pilot", include_pilot=True)
    rows = {r["participant_id"]: r for r in read_csv(tmp_path / "with_pilot" / "participants.csv")}
    assert len(rows) == 3
    assert rows[expected_pid(app, "demo", pilot)]["pilot"] == "true"
    assert rows[expected_pid(app, "demo", first)]["pilot"] == "false"
    assert rows[expected_pid(app, "demo", pilot)]["condition"] == "private"


def test_participant_ids_are_stable_and_study_specific(one_entrant, tmp_path):
    """The same person (one recruiting id) in the demo and in demo-copy."""
    from webapp.export import participant_id
    app = one_entrant.app
    export(app, tmp_path / "a")
    export(app, tmp_path / "b")
    export(app, tmp_path / "c", slug="demo-copy")
    a = read_csv(tmp_path / "a" / "participants.csv")
    b = read_csv(tmp_path / "b" / "participants.csv")
    c = read_csv(tmp_path / "c" / "participants.csv")
    assert [r["participant_id"] for r in a] == [r["participant_id"] for r in b]
    assert len(a) == len(c) == 1 and a[0]["participant_id"] != c[0]["participant_id"]
    assert re.fullmatch(r"[0-9a-f]{16}", a[0]["participant_id"])
    for name in ("participants.csv", "suggestions.csv", "events.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with app.app_context():
        assert participant_id("demo", 1) != participant_id("demo-copy", 1)
        assert participant_id("demo", 1) == participant_id("demo", 1)
    # a different key gives different ids: the hash is keyed, not guessable from the row id
    from webapp import create_app
    other = create_app({**app.config, "PSEUDONYM_KEY": "another-key", "SEED_DEMO": False})
    with other.app_context():
        assert participant_id("demo", 1) != expected_pid(app, "demo", 1)
        from webapp.extensions import db
        db.session.remove()
        db.engine.dispose()


def test_formula_injection_is_guarded_and_numbers_stay_numbers(app, tmp_path):
    from webapp.export import Column, Table, guard_formula, table_csv
    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"):
        assert guard_formula(text) == "'" + text
    assert guard_formula("fine = ok") == "fine = ok"
    table = Table("t", [Column("n", "number", "m"), Column("s", "string", "m"), Column("b", "boolean", "m")],
                  [(-1.5, "-1.5", True), (None, '=HYPERLINK("http://x","y")', None), (2.0, "plain", False)])
    text = table_csv(table).decode()
    assert text.splitlines()[1] == "-1.5,'-1.5,true"
    assert list(csv.reader(io.StringIO(text)))[2] == ["", "'=HYPERLINK(\"http://x\",\"y\")", ""]
    assert text.splitlines()[3] == "2.0,plain,false"

    # a peer's free-text comment in the real export (the suggester need not have walked the pages)
    first = participant_row_at(app, "done")
    second = walk(app)
    from webapp.extensions import db
    from webapp.models import Suggestion
    with app.app_context():
        suggestion = db.session.query(Suggestion).filter_by(participant_id=second).order_by(Suggestion.position).first()
        suggestion.source = "peer"
        suggestion.suggester_id = first
        suggestion.comment = '=HYPERLINK("http://evil.example","click"), and "quotes",\nnew line'
        db.session.commit()
    export(app, tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "suggestions.csv")
    peer = [r for r in rows if r["source"] == "peer"]
    assert len(peer) == 1
    assert peer[0]["comment"] == "'" + '=HYPERLINK("http://evil.example","click"), and "quotes",\nnew line'
    assert peer[0]["suggester_id"] == expected_pid(app, "demo", first)
    assert peer[0]["participant_id"] == expected_pid(app, "demo", second)
    people = read_csv(tmp_path / "out" / "participants.csv")
    assert all(not value.startswith(("=", "+", "@")) for row in people for value in row.values())


def test_zip_download_holds_the_same_files(one_entrant):
    from webapp.export import export_zip_bytes
    from webapp.studies import study_by_slug
    app = one_entrant.app  # its participant entered with the recruiting id ZIPSECRET1
    with app.app_context():
        data = export_zip_bytes(study_by_slug("demo"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(archive.namelist())
    assert names == sorted(f"demo/{n}" for n in ("participants.csv", "entries.csv", "suggestions.csv", "events.csv",
                                                 "codebook.json", "codebook.md", "manifest.json"))
    manifest = json.loads(archive.read("demo/manifest.json"))
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(archive.read(f"demo/{name}")).hexdigest() == entry["sha256"]
    assert all(b"ZIPSECRET1" not in archive.read(n) for n in names)
    assert manifest["row_counts"]["participants.csv"] == 1


def test_build_tables_returns_typed_frames(one_entrant):
    from webapp.export import build_tables
    from webapp.studies import study_by_slug
    app = one_entrant.app  # its participant adopted one suggestion
    with app.app_context():
        tables = build_tables(study_by_slug("demo"))
    assert set(tables) == {"participants", "entries", "suggestions", "events"}
    people = tables["participants"]
    assert len(people) == 1 and str(people["n_adopted"].dtype) == "Int64"
    assert people["n_adopted"].iloc[0] == 1 and bool(people["simulated"].iloc[0]) is False
    assert str(people["completed_at"].dt.tz) == "UTC"
    assert tables["suggestions"]["adopted"].sum() == 1
    assert len(tables["events"]) > 20


def test_cli_export_and_errors(one_entrant, tmp_path, monkeypatch):
    app = one_entrant.app
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "demo", "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert "participants.csv: 1 rows" in result.output
    assert len(read_csv(tmp_path / "cli" / "participants.csv")) == 1

    result = runner.invoke(args=["export", "nope", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "no study 'nope'" in result.output and "demo" in result.output

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = runner.invoke(args=["export", "demo", "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "cannot write" in result.output

    result = runner.invoke(args=["export", "demo", "--out", str(tmp_path / "p"), "--format", "parquet",
                                 "--include-pilot"])
    assert result.exit_code == 0, result.output
    import pandas as pd
    people = pd.read_parquet(tmp_path / "p" / "participants.parquet")
    assert len(people) == 1 and "pilot" in people.columns and people["participant_id"].str.len().iloc[0] == 16
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["format"] == "parquet" and "participants.parquet" in manifest["files"]
    book = json.loads((tmp_path / "p" / "codebook.json").read_text())
    assert [c["name"] for c in book["files"]["participants.parquet"]] == list(people.columns)

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = runner.invoke(args=["export", "demo", "--out", str(tmp_path / "q"), "--format", "parquet"])
    assert result.exit_code == 2 and "pyarrow" in result.output


def test_export_uses_a_fixed_number_of_queries(app, tmp_path):
    """No N+1: the number of statements does not grow with the number of participants."""
    from sqlalchemy import event

    from webapp.extensions import db

    def statements_for_export(name: str) -> int:
        statements = []

        def count(*_args):
            statements.append(1)
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                export(app, tmp_path / name)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    walk(app)
    one = statements_for_export("one")
    walk(app, adopt=1)
    walk(app, adopt=3)
    assert statements_for_export("three") == one <= 8


@pytest.mark.slow
def test_round_trip_into_the_analysis(app, tmp_path):
    """Twelve participants, half per condition, varied answers: `python -m analysis fit` reads the export."""
    for n in range(12):
        walk(app, pid=f"RT{n:03d}", ts={k: 1 + (n * 3 + i) % 7 for i, k in enumerate(TS_ITEMS)},
             adopt=n % 4, closeness=1 + (n * 5) % 7, evaluation={k: 1 + (n * 2 + i) % 7 for i, k in
                                                                    enumerate(EVAL_ITEMS)},
             wtp=str(10 + n * 3), mc=1 + n % 7)
    export(app, tmp_path / "rt")
    people = read_csv(tmp_path / "rt" / "participants.csv")
    assert len(people) == 12
    assert sorted(p["condition"] for p in people).count("public") == 6
    result = subprocess.run([sys.executable, "-m", "analysis", "fit", str(tmp_path / "rt" / "participants.csv"),
                             "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    assert results["h1"]["n"] == 12 and results["h2"]["n"] == 12


def test_empty_study_and_a_second_version(app, tmp_path):
    import tomllib

    from experiments.definition import EXPERIMENTS_DIR, parse_study
    from webapp.extensions import db
    from webapp.studies import install_definition
    manifest = export(app, tmp_path / "empty")
    assert manifest["row_counts"] == {"participants.csv": 0, "entries.csv": 0, "suggestions.csv": 0,
                                      "events.csv": 0}
    assert "participant_id" in header(tmp_path / "empty" / "participants.csv")
    assert len((tmp_path / "empty" / "participants.csv").read_text().splitlines()) == 1

    # completed participants entered before and after the new version (the pages are not under test here)
    first = participant_row_at(app, "done")
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text("utf-8"))
    data["study"]["title"] = "Design your own dress shirt (revised)"
    with app.app_context():
        install_definition(parse_study(data, base=EXPERIMENTS_DIR), "demo-v2.toml")
        db.session.commit()
    second = participant_row_at(app, "done")
    manifest = export(app, tmp_path / "two")
    rows = {r["participant_id"]: r for r in read_csv(tmp_path / "two" / "participants.csv")}
    assert rows[expected_pid(app, "demo", first)]["study_version"] == "1"
    assert rows[expected_pid(app, "demo", second)]["study_version"] == "2"
    assert manifest["study"]["current_version"] == 2 and manifest["study"]["versions_exported"] == [1, 2]


def test_simulated_participants_are_marked(app, tmp_path):
    real = walk(app)
    bot = walk(app, simulated=True)
    export(app, tmp_path / "out")
    rows = {r["participant_id"]: r["simulated"] for r in read_csv(tmp_path / "out" / "participants.csv")}
    assert rows == {expected_pid(app, "demo", real): "false", expected_pid(app, "demo", bot): "true"}


def test_event_payloads_refer_to_participants_by_pseudonym_only(app):
    from webapp.export import REDACTED, _scrub_payload, participant_id
    with app.app_context():
        def pid_of(n):
            return participant_id("demo", n)
        assert json.loads(_scrub_payload('{"target": 17}', pid_of)) == {"target": pid_of(17)}
        assert json.loads(_scrub_payload('{"attribute": "monogram", "before": "AB", "after": ""}', pid_of)) == {
            "attribute": "monogram", "before": REDACTED, "after": ""}
        design = '{"design": {"choices": {"collar": "kent"}, "monogram": "XYZ"}}'
        assert json.loads(_scrub_payload(design, pid_of))["design"]["monogram"] == REDACTED
        assert _scrub_payload('{"seconds": 1.5}', pid_of) == '{"seconds": 1.5}'
