"""Participants walked through the real pages for the export tests, and reading what the export wrote.

The walk answers every step with given values (thinking style, adoptions, closeness, WTP, the
manipulation check), so an export test knows what each column must hold.
"""

from __future__ import annotations

import csv
import re

from builders import nonce_from
from experiments import steps
from scl_testing import RADIO_RE, csrf_from

TS_ITEMS = ("ts_cause_context", "ts_cause_person", "ts_contra_both", "ts_contra_one", "ts_change_turn",
            "ts_change_trend", "ts_attn_whole", "ts_attn_focus")
EVAL_ITEMS = ("eval_like", "eval_satisfied", "eval_taste", "eval_wear", "eval_regret")
SECRET_UA = "SecretAgent/9.9 (export-test)"


def _post(client, url: str, data: dict, html: str | None = None):
    if html is None:
        html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(html), **data})
    assert response.status_code in (302, 303), (url, response.status_code, response.get_data(as_text=True)[:500])
    return response


def _checked_design(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="radio" name="([a-z_]+)" value="([^"]+)" checked>', html))


def _entrant(app, slug: str, *, pid: str | None, pilot_cell: str | None, simulated: bool):
    """A test client at the entry link: a fixed address and user agent, maybe a pilot cell or recruiting ids."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": SECRET_UA}
    if simulated:
        environ["HTTP_X_SIMULATION_KEY"] = app.config["SIMULATION_KEY"]
    client.environ_base.update(environ)
    if pilot_cell:
        with client.session_transaction() as session:
            session["pilot"] = {slug: pilot_cell}
    if pid:
        assert client.get(f"/s/{slug}?PROLIFIC_PID={pid}&SESSION_ID=sess{pid}").status_code == 303
    return client


def _answer_likert(client, url: str, step_name: str, ts: int | dict) -> None:
    """The thinking style gets the walk's answers (`ts`); any other declared Likert step 4 on every item of its page."""
    if step_name == "thinking_style":
        ts_answers = ts if isinstance(ts, dict) else {key: ts for key in TS_ITEMS}
        _post(client, url, {**ts_answers, "ts_attention": 2, "submit": "Continue"})
        return
    html = client.get(url).get_data(as_text=True)
    keys = sorted(set(RADIO_RE.findall(html)))
    assert keys, f"no items on {url}"
    _post(client, url, {**{k: 4 for k in keys}, "submit": "Continue"}, html)


def walk(app, slug: str = "demo", *, pid: str | None = None, ts: int | dict = 4, adopt: int = 0,
         closeness: int = 4, evaluation: int | dict = 5, wtp: str = "40", mc: int = 6, attention: str = "Orange",
         age: str = "30", gender: str = "woman", pilot_cell: str | None = None, change: dict | None = None,
         simulated: bool = False):
    """One participant from the entry link to the end; returns the session's participant row id."""
    from webapp.extensions import db
    from webapp.models import Participant
    from webapp.studies import study_by_slug

    client = _entrant(app, slug, pid=pid, pilot_cell=pilot_cell, simulated=simulated)
    base = f"/s/{slug}"
    html = client.get(base).get_data(as_text=True)
    nonce = nonce_from(html)
    _post(client, base, {"nonce": nonce, "agree": "I agree"}, html)

    def path(step_name):
        return base + steps.get(step_name).path

    def likert(step_name):
        _answer_likert(client, path(step_name), step_name, ts)

    def design(step_name):
        html = client.get(path(step_name)).get_data(as_text=True)
        design = {**_checked_design(html), **(change or {})}
        _post(client, path(step_name), {**design, "monogram": "JD", "submit": "Submit"}, html)

    def suggestions(step_name):
        _post(client, path(step_name), {"submit": "Continue"})

    def revise(step_name):
        html = client.get(path(step_name)).get_data(as_text=True)
        ids = [int(n) for n in re.findall(r'id="suggestion-(\d+)"', html)]
        assert len(ids) == 3
        for number, suggestion_id in enumerate(ids):
            decision = "adopt" if number < adopt else "reject"
            _post(client, f"{base}/revise/suggestions/{suggestion_id}", {"decision": decision}, html)
        html = client.get(path(step_name)).get_data(as_text=True)
        _post(client, path(step_name), {**_checked_design(html), "monogram": "JD", "submit": "Submit"}, html)

    def closeness_page(step_name):
        html = client.get(path(step_name)).get_data(as_text=True)
        keys = sorted(set(re.findall(r'name="(ios_[a-z0-9_]+)"', html)))
        assert keys
        _post(client, path(step_name), {**{k: closeness for k in keys}, "submit": "Continue"}, html)

    def evaluation_page(step_name):
        ev_answers = evaluation if isinstance(evaluation, dict) else {key: evaluation for key in EVAL_ITEMS}
        _post(client, path(step_name), {**ev_answers, "wtp": wtp, "submit": "Continue"})

    def checks(step_name):
        _post(client, path(step_name), {"mc_visibility": mc, "ac_colour": attention, "submit": "Continue"})

    def demographics(step_name):
        _post(client, path(step_name), {"age": age, "gender": gender, "submit": "Finish"})

    pages = {"likert": likert, "design": design, "suggestions": suggestions, "revise": revise,
             "closeness": closeness_page, "evaluation": evaluation_page, "checks": checks,
             "demographics": demographics}
    with app.app_context():
        flow = study_by_slug(slug).current_version.definition.flow
    for step_name in flow[1:]:  # consent is done above
        pages[steps.get(step_name).page](step_name)
    assert client.get(f"{base}/done").status_code == 200
    with app.app_context():
        token = None
        with client.session_transaction() as session:
            token = session["participants"][slug]
        participant = db.session.query(Participant).filter_by(token=token).one()
        assert participant.status == "completed"
        return participant.id


def finish_directly(app, participant_id: int) -> None:
    """The rest of the study for a participant, through the journey functions (no pages, no answers): for
    tests about what the export says of a participant, not about the pages on the way."""
    from webapp import journey
    from webapp.domain.flow import DONE
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        assert participant is not None
        while participant.step != DONE:
            if participant.step == "design":
                journey.submit_initial_design(participant)
            journey.advance(participant)
        assert participant.status == "completed"
        db.session.commit()


def expected_pid(app, slug: str, internal_id: int) -> str:
    from webapp.journey import pseudonym
    with app.app_context():
        return pseudonym(slug, "participant", str(internal_id))[:16]


def export(app, out, slug: str = "demo", **options) -> dict:
    from webapp.export import write_export
    from webapp.studies import study_by_slug
    with app.app_context():
        return write_export(study_by_slug(slug), out, **options)


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))
