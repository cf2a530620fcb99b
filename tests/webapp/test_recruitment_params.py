"""Recruiting panels beyond Prolific: a study names the query parameters its entry links carry."""

from __future__ import annotations

import tomllib

import pytest

from experiments.definition import EXPERIMENTS_DIR, StudyFileError, parse_study
from webapp.extensions import db
from webapp.studies import install_definition


def _data(**recruitment) -> dict:
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data["study"]["slug"] = "panel"
    if recruitment:
        data["recruitment"] = recruitment
    return data


def _install(app, data):
    with app.app_context():
        install_definition(parse_study(data, source="panel"))
        db.session.commit()


def test_a_study_names_its_panels_parameters_and_only_those_are_read(app, journey):
    _install(app, _data(panel="cint", id_param="RID", session_param="sid", study_param="proj"))
    walk = journey("panel", "?RID=person42&sid=visit7&proj=p1&lang=de")
    walk.consent()
    participant = walk.participant()
    assert participant.recruit_source == "cint"
    assert participant.recruit_id_hash and participant.recruit_session_hash
    assert "person42" not in participant.recruit_id_hash  # a keyed hash, never the id
    assert participant.language == "de"

    other = journey("panel", "?PROLIFIC_PID=someone1")
    other.consent()
    ignored = other.participant()
    assert ignored.recruit_id_hash is None and ignored.recruit_source is None


def test_the_same_panel_id_cannot_enter_twice(app, journey):
    _install(app, _data(panel="cint", id_param="RID"))
    journey("panel", "?RID=person42").consent()
    again = journey("panel", "?RID=person42")
    again.get("?RID=person42")
    from scl_testing import HIDDEN_RE
    response = again.post("", {"nonce": dict(HIDDEN_RE.findall(again.page))["nonce"], "agree": "yes"})
    assert response.status_code == 409


def test_without_recruitment_prolific_parameters_are_the_default(app, journey):
    _install(app, _data())
    walk = journey("panel", "?PROLIFIC_PID=abc123&SESSION_ID=s1")
    walk.consent()
    assert walk.participant().recruit_source == "prolific"
    assert "recruitment" not in parse_study(_data()).to_json()


@pytest.mark.parametrize("recruitment, message", [
    ({"id_parm": "RID"}, r"recruitment.id_parm: unknown key; did you mean 'id_param'"),
    ({"id_param": "R ID"}, r"recruitment.id_param: 'R ID' must be a query parameter name"),
    ({"id_param": "SID", "session_param": "SID"}, r"must differ"),
    ({"session_param": "lang"}, r"'lang' is the entry link's language parameter"),
    ({"panel": "Cint Panel"}, r"recruitment.panel"),
])
def test_recruitment_settings_are_validated(recruitment, message):
    with pytest.raises(StudyFileError, match=message):
        parse_study(_data(**recruitment))
