"""The monitor: the flow per cell, attention failures apart from completions, the outcome by cell only
when the study file turns it on (validated), and the demo's first owner."""

from __future__ import annotations

import tomllib

import pytest

from builders import logged_in, new_participant
from experiments.definition import EXPERIMENTS_DIR, StudyFileError, parse_study
from scl_testing import Journey
from webapp import journey, monitor
from webapp.extensions import db
from webapp.models import Participant, StudyMember
from webapp.studies import install_definition, study_by_slug


def demo_data(**monitor_section) -> dict:
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    if monitor_section:
        data["monitor"] = monitor_section
    return data


def test_attention_failures_are_counted_apart_from_completions(app, fast_hashes):
    client = logged_in(app)
    passed = Journey(app)
    passed.complete()
    failed = Journey(app)
    failed.consent()
    failed.thinking_style(attention=5)  # the wrong answer to the attention item
    failed_id = failed.participant().id
    with app.app_context():
        p = db.session.get(Participant, failed_id)
        while p.status == "active":
            if p.step == "design":
                journey.submit_initial_design(p)
            elif p.step == "revise":
                journey.submit_final_design(p)
            journey.advance(p)
        db.session.commit()
        assert p.outcome == "attention_failed"
        summary = monitor.study_summary(study_by_slug("demo"))
    totals = summary["totals"]
    assert (totals["completed"], totals["attention_failed"]) == (1, 1)
    failed_cell = summary["cells"][get_cell(app, failed_id)]
    assert failed_cell["attention_failed"] == 1 and failed_cell["attention_check_failures"] == 1
    assert sum(c["attention_check_failures"] for c in summary["cells"].values()) == 1
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    assert 'data-key="totals.completed">1<' in html and 'data-key="totals.attention_failed">1<' in html


def get_cell(app, internal):
    with app.app_context():
        return db.session.get(Participant, internal).cell


def test_the_flow_counts_how_many_reached_each_step_per_cell(app, fast_hashes):
    client = logged_in(app)
    with app.app_context():
        flow = list(study_by_slug("demo").current_version.definition.flow)
    at_design = [new_participant(app, step="design") for _ in range(3)]
    done = [new_participant(app, step="done") for _ in range(2)]
    cells = {p: get_cell(app, p) for p in at_design + done}
    with app.app_context():
        summary = monitor.study_summary(study_by_slug("demo"))
    for cell, stages in summary["flow_by_cell"].items():
        reached = {s["step"]: s["reached"] for s in stages}
        mine_design = sum(cells[p] == cell for p in at_design)
        mine_done = sum(cells[p] == cell for p in done)
        assert [s["step"] for s in stages] == flow + ["done"]
        assert reached[flow[0]] == mine_design + mine_done  # everyone consented
        assert reached["design"] == mine_design + mine_done
        assert reached[flow[flow.index("design") + 1]] == mine_done
        assert reached["done"] == mine_done
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    assert "Flow by cell" in html and html.count('class="chart-bar" data-bar="flow:') == len(cells and summary["flow_by_cell"]) * (len(flow) + 1)
    data = client.get("/studio/studies/demo/monitor.json").get_json()
    assert any(bar["key"] == "flow:public/friend:done" for bar in data["chart"])


def test_the_outcome_by_cell_is_hidden_unless_the_study_turns_it_on(app, fast_hashes):
    client = logged_in(app)
    new_participant(app, step="done")
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    data = client.get("/studio/studies/demo/monitor.json").get_json()
    assert "Mean conformity by cell" not in html and "outcome_by_cell = true" in html
    assert data["conformity_by_cell"] == {} and not any(b["key"] in ("public/friend", "private/friend")
                                                         for b in data["chart"])
    with app.app_context():
        install_definition(parse_study(demo_data(outcome_by_cell=True), source="demo-with-outcome"))
        db.session.commit()
    html = client.get("/studio/studies/demo/monitor").get_data(as_text=True)
    data = client.get("/studio/studies/demo/monitor.json").get_json()
    assert "Mean conformity by cell" in html and set(data["conformity_by_cell"]) == {"public/friend", "private/friend"}


@pytest.mark.parametrize("section, message", [({"outcome_by_cell": "yes"}, "true or false"),
                                              ({"outcome_by_cel": True}, "did you mean 'outcome_by_cell'")])
def test_the_monitor_key_is_validated(section, message):
    with pytest.raises(StudyFileError) as error:
        parse_study(demo_data(**section), source="bad.toml")
    assert message in str(error.value)


def test_the_monitor_key_survives_storage_and_leaves_old_fingerprints_alone():
    plain = parse_study(demo_data(), source="a")
    on = parse_study(demo_data(outcome_by_cell=True), source="b")
    assert "monitor_outcome_by_cell" not in plain.to_json()
    assert type(on).from_json(on.to_json()).monitor_outcome_by_cell is True
    assert plain.fingerprint() != on.fingerprint()


# ---------------------------------------------------------------- the demo's owner
def test_the_first_experimenter_created_owns_the_demo(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["create-experimenter", "first@lab.example", "--password-stdin"],
                          input="correct horse battery\n")
    assert first.exit_code == 0 and "own the demo study" in first.output
    second = runner.invoke(args=["create-experimenter", "second@lab.example", "--password-stdin"],
                           input="correct horse battery\n")
    assert second.exit_code == 0 and "own the demo" not in second.output
    with app.app_context():
        from webapp.accounts import find_experimenter
        members = db.session.query(StudyMember).filter_by(study_id=study_by_slug("demo").id).all()
        assert [(m.experimenter_id, m.role) for m in members] == [(find_experimenter("first@lab.example").id, "owner")]


def test_a_demo_seeded_after_the_first_account_goes_to_that_account(app):
    from webapp.accounts import create_experimenter
    from webapp.cli import seed_demo
    from webapp.study_admin import delete_study
    with app.app_context():
        delete_study(study_by_slug("demo"))
        db.session.commit()
        account = create_experimenter("early@lab.example", "correct horse battery")
        db.session.commit()
        seed_demo()
        members = db.session.query(StudyMember).filter_by(study_id=study_by_slug("demo").id).all()
        assert [(m.experimenter_id, m.role) for m in members] == [(account.id, "owner")]
