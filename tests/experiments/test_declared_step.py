"""A questionnaire step added only through the declaration and an instrument file works end to end:
the validator accepts it, a participant is routed through it, its answers are stored and exported
with codebook entries, and the simulator's bots answer it."""

from __future__ import annotations

import json
import re

import pytest

from experiments import steps
from experiments.definition import EXPERIMENTS_DIR, StudyFileError, load_study
from experiments.simulate import install_study, run_simulation
from scl_testing import Journey

MOOD = steps.Step("mood", "/mood", "likert", instrument="mood.toml", scoring="likert_mean", export="likert_items",
                  default=False, after=("revise",))
MOOD_INSTRUMENT = """
title = "How you feel now"
intro = "Please say how much you agree."
scale = { min = 1, max = 5, low = "Not at all", high = "Very much" }

[[items]]
key = "mood_calm"
text = "I feel calm."

[[items]]
key = "mood_tense"
reverse = true
text = "I feel tense."
"""
# The same instrument with its own German and Japanese texts: a three-language study needs no other file.
MOOD_TRANSLATIONS = """
[translations.de]
"How you feel now" = "Wie Sie sich jetzt fühlen"
"Please say how much you agree." = "Bitte sagen Sie, wie sehr Sie zustimmen."
"Not at all" = "Überhaupt nicht"
"Very much" = "Sehr"
"I feel calm." = "Ich fühle mich ruhig."
"I feel tense." = "Ich fühle mich angespannt."

[translations.ja]
"How you feel now" = "今の気分"
"Please say how much you agree." = "どのくらい当てはまるかお答えください。"
"Not at all" = "まったく当てはまらない"
"Very much" = "とても当てはまる"
"I feel calm." = "落ち着いている。"
"I feel tense." = "緊張している。"
"""
FLOW = '["consent", "thinking_style", "design", "suggestions", "revise", "mood", "closeness", "evaluation", ' \
       '"checks", "demographics"]'


@pytest.fixture
def mood_study(tmp_path):
    """The demo study under slug 'moody' with the declared 'mood' step after 'revise'."""
    text = (EXPERIMENTS_DIR / "demo.toml").read_text("utf-8")
    text = re.sub(r'^slug = ".*"$', 'slug = "moody"', text, count=1, flags=re.M)
    (tmp_path / "mood.toml").write_text(MOOD_INSTRUMENT, "utf-8")
    path = tmp_path / "moody.toml"
    path.write_text(text + f"\n[flow]\nsteps = {FLOW}\n", "utf-8")
    with steps.declared(MOOD):
        yield path


def test_declared_step_is_validated_with_its_instrument_and_order(mood_study):
    definition = load_study(mood_study)
    assert definition.flow[5] == "mood"
    assert [i.key for i in definition.likert_block("mood").items] == ["mood_calm", "mood_tense"]
    wrong = mood_study.read_text("utf-8").replace('"revise", "mood"', '"mood", "revise"')
    mood_study.write_text(wrong, "utf-8")
    with pytest.raises(StudyFileError, match="'revise' must come before 'mood'"):
        load_study(mood_study)


def test_undeclared_step_is_refused_and_studies_without_it_keep_their_fingerprint(mood_study):
    plain = load_study(EXPERIMENTS_DIR / "demo.toml")
    assert "extra_blocks" not in json.loads(plain.to_json())  # stored versions stay the same
    fingerprint = plain.fingerprint()
    steps_before = steps.known()
    assert "mood" in steps_before
    with steps.declared(steps.Step("calm", "/calm", "likert", instrument="mood.toml", default=False)):
        assert load_study(EXPERIMENTS_DIR / "demo.toml").fingerprint() == fingerprint
    assert "calm" not in steps.known()
    with pytest.raises(StudyFileError, match="unknown step 'calm'"):
        load_study(mood_study.parent / _with_step(mood_study, "calm"))


def test_declared_step_brings_its_translations_in_its_instrument_file(app, mood_study):
    plain = load_study(mood_study)
    assert "How you feel now" in plain.untranslated("de") and "I feel tense." in plain.untranslated("ja")
    instrument = mood_study.parent / "mood.toml"
    instrument.write_text(MOOD_INSTRUMENT + MOOD_TRANSLATIONS, "utf-8")
    definition = load_study(mood_study)
    assert definition.untranslated("de") == [] and definition.untranslated("ja") == []
    assert definition.localized("de").likert_block("mood").items[1].text == "Ich fühle mich angespannt."
    assert definition.fingerprint() != plain.fingerprint()  # what participants read changed: a new version
    slug = install_study(app, mood_study)
    walker = Journey(app, slug, query="?lang=de")
    walker.consent()
    while (step := walker.current_step()) not in ("mood", None):
        walker.answer(step)
    assert step == "mood" and "Wie Sie sich jetzt fühlen" in walker.page and "I feel calm." not in walker.page


def test_instrument_translations_are_checked_and_the_studys_own_win(mood_study):
    instrument = mood_study.parent / "mood.toml"
    instrument.write_text(MOOD_INSTRUMENT + '[translations.fr]\n"I feel calm." = "Je suis calme."\n'
                          '[translations.de]\n"I feel tense." = ""\n', "utf-8")
    with pytest.raises(StudyFileError) as refused:
        load_study(mood_study)
    message = str(refused.value)
    assert "'fr' is not a language to translate into" in message
    assert "translations.de.'I feel tense.'" in message and "non-empty" in message
    instrument.write_text(MOOD_INSTRUMENT + MOOD_TRANSLATIONS + '"An item no study shows" = "x"\n', "utf-8")
    mood_study.write_text(mood_study.read_text("utf-8") + '\n[translations.de]\n"I feel calm." = "Ganz ruhig."\n',
                          "utf-8")
    definition = load_study(mood_study)
    assert definition.translations["de"]["I feel calm."] == "Ganz ruhig."
    assert definition.translations["de"]["I feel tense."] == "Ich fühle mich angespannt."
    assert "An item no study shows" not in definition.translations.get("ja", {})


def _with_step(path, name):
    other = path.parent / "other.toml"
    other.write_text(path.read_text("utf-8").replace('"mood"', f'"{name}"'), "utf-8")
    return other.name


def test_participant_walks_through_declared_step_and_export_has_its_columns(app, mood_study, tmp_path):
    from webapp.export import write_export
    from webapp.extensions import db
    from webapp.models import Response
    from webapp.studies import study_by_slug

    slug = install_study(app, mood_study)
    walker = Journey(app, slug)
    walker.consent()
    seen = []
    while (step := walker.current_step()) is not None:
        seen.append(step)
        if step == "mood":
            assert walker.path == f"/s/{slug}/mood" and "How you feel now" in walker.page
            walker.likert("mood", answer=2)
        else:
            walker.answer(step)
    assert seen == ["thinking_style", "design", "suggestions", "revise", "mood", "closeness", "evaluation",
                    "checks", "demographics"]
    participant = walker.participant()
    assert participant.status == "completed"
    with app.app_context():
        stored = {r.item_key: (r.block, r.value_num) for r in db.session.query(Response)
                  .filter_by(participant_id=participant.id) if r.item_key.startswith("mood_")}
        assert stored == {"mood_calm": ("mood", 2.0), "mood_tense": ("mood", 2.0)}
        write_export(study_by_slug(slug), tmp_path / "out")
    import csv
    with open(tmp_path / "out" / "participants.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["mood_calm"] == "2" and rows[0]["mood_tense"] == "2" and rows[0]["seconds_mood"] != ""
    codebook = json.loads((tmp_path / "out" / "codebook.json").read_text("utf-8"))
    entries = {c["name"]: c for c in codebook["files"]["participants.csv"]}
    assert entries["mood_tense"]["item_text"] == "I feel tense."
    assert "reverse-coded" in entries["mood_tense"]["meaning"] and entries["mood_calm"]["values"].startswith("1–5")
    # the step has no score column, so the codebook says how to reverse the item, not that a score did
    assert "reverse it (1 + 5 − answer)" in entries["mood_tense"]["meaning"]
    assert "score" not in entries["mood_tense"]["meaning"]


def test_bots_answer_declared_step(app, mood_study):
    slug = install_study(app, mood_study)
    summary = run_simulation(app, slug, 2, seed=5, progress=False)
    assert summary.errors == [] and summary.completed == 2
    from webapp.extensions import db
    from webapp.models import Response
    with app.app_context():
        answers = db.session.query(Response).filter(Response.block == "mood").all()
        assert len(answers) == 4 and all(1 <= a.value_num <= 5 for a in answers)
