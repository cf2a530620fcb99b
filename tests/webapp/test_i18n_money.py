"""Money on the evaluation page: the study's currency, formatted by the participant's locale, in its smallest step."""

from __future__ import annotations

import tomllib

import pytest

from experiments.definition import EXPERIMENTS_DIR, StudyFileError, parse_study
from webapp.extensions import db
from webapp.studies import install_definition


def _study(app, slug, currency):
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data["study"]["slug"] = slug
    data.setdefault("questionnaires", {})["evaluation"] = {
        **tomllib.loads((EXPERIMENTS_DIR / "instruments" / "evaluation.toml").read_text())}
    data["questionnaires"]["evaluation"]["wtp"]["currency"] = currency
    with app.app_context():
        install_definition(parse_study(data, source=slug))
        db.session.commit()
    return slug


def _to_evaluation(walk):
    walk.consent()
    for _ in range(10):
        if walk.current_step() == "evaluation":
            return walk.page
        walk.answer(walk.current_step())
    raise AssertionError("no evaluation step")


def test_yen_has_no_decimals_and_japanese_formatting(app, journey):
    slug = _study(app, "yen", "JPY")
    walk = journey(slug, "?lang=ja")
    page = _to_evaluation(walk)
    assert 'step="1"' in page and "￥" in page and "￥0～￥500" in page
    items = {k: 6 for k in walk.items()}
    refused = walk.post("/evaluation", {**items, "wtp": "12.5"})
    assert refused.status_code == 400  # a yen amount has no fraction
    refused = walk.post("/evaluation", {**items, "wtp": "900"})
    assert refused.status_code == 400 and "￥0から￥500までの金額を入力してください。" in refused.get_data(as_text=True)
    assert walk.post("/evaluation", {**items, "wtp": "300"}).status_code == 303


def test_euro_in_german_uses_a_decimal_comma(app, journey):
    slug = _study(app, "euro", "EUR")
    page = _to_evaluation(journey(slug, "?lang=de"))
    assert 'step="0.01"' in page and "Von 0,00\xa0€ bis 500,00\xa0€" in page


def test_an_unknown_currency_code_is_refused_with_a_suggestion():
    data = tomllib.loads((EXPERIMENTS_DIR / "demo.toml").read_text())
    data["questionnaires"] = {"evaluation": tomllib.loads((EXPERIMENTS_DIR / "instruments" / "evaluation.toml").read_text())}
    data["questionnaires"]["evaluation"]["wtp"]["currency"] = "gbp"
    with pytest.raises(StudyFileError, match=r"currency.*not an ISO 4217.*did you mean 'GBP'"):
        parse_study(data)
