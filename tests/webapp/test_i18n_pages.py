"""Everything a participant meets is in their language: catalogues complete, and a walk through the demo
in German and in Japanese shows no English interface text on any page."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from experiments.definition import load_study, study_files, study_texts
from experiments.definition.localisation import LANGUAGES as PLATFORM_LANGUAGES
from webapp.i18n import TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = tuple(code for code in PLATFORM_LANGUAGES if code != "en")  # every language the platform speaks


def _extracted_msgids(tmp_path) -> set[str]:
    """Extract the participant-facing msgids from the code now (babel.cfg), not from the committed .pot."""
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "N_", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def extracted_msgids(tmp_path_factory) -> frozenset[str]:
    """One extraction for both languages (a subprocess of about half a second), frozen so no test changes it."""
    return frozenset(_extracted_msgids(tmp_path_factory.mktemp("extracted")))


def _catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_participant_facing_msgid_has_a_translation(extracted_msgids, language):
    wanted = extracted_msgids
    assert len(wanted) > 100  # the extraction found the templates, forms and messages
    catalogue = _catalogue(language)
    missing = sorted(m for m in wanted if not (catalogue.get(m) and catalogue.get(m).string)
                     or catalogue.get(m).fuzzy)
    assert missing == [], f"{language}: {len(missing)} msgids without a translation, e.g. {missing[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    for message in _catalogue(language):
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == sorted(re.findall(r"%\(\w+\)s", message.string)), message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_of_the_shipped_studies_is_translated(language):
    for path in study_files():
        assert load_study(path).untranslated(language) == [], path.name
    for english, said in study_texts(language).items():  # wordings keep their slot
        assert ("{suggestion}" in english) == ("{suggestion}" in said), english
        assert ("{name}" in english) == ("{name}" in said), english


# ---------------------------------------------------------------- walking the demo
class _Visible(HTMLParser):
    """The text a person meets: text nodes plus alt, aria-label, title, placeholder and button values."""

    def __init__(self):
        super().__init__()
        self.parts, self.lang, self._skip = [], None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("alt", "aria-label", "title", "placeholder"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def _visible(html: str) -> tuple[str | None, str]:
    parser = _Visible()
    parser.feed(html)
    return parser.lang, re.sub(r"\s+", " ", " ".join(parser.parts))


def _english_phrases(language: str) -> list[re.Pattern]:
    """English interface and study texts whose translation differs from them, as whole-word patterns."""
    texts = {}
    for message in _catalogue(language):
        if message.id and message.string != message.id:
            texts[message.id] = message.string
    for english, said in study_texts(language).items():
        if said != english:
            texts[english] = said
    patterns = []
    for english in texts:
        plain = re.sub(r"<[^>]+>", "", english)
        for piece in re.split(r"%\(\w+\)s|\{\w+\}", plain):  # the fixed parts around placeholders
            piece = re.sub(r"\s+", " ", piece).strip(" .,:;!?()“”…")
            if len(piece) >= 4 and re.search(r"[A-Za-z]{3}", piece):
                patterns.append(re.compile(r"(?<![A-Za-z])" + re.escape(piece) + r"(?![A-Za-z])"))
    return patterns


def _assert_in_language(walk, language, patterns, seen):
    lang, text = _visible(walk.page)
    assert lang == language, (walk.path, lang)
    leftovers = sorted({p.pattern for p in patterns if p.search(text)})
    assert leftovers == [], f"{walk.path} ({language}) still shows English: {leftovers[:5]}"
    seen.add(walk.path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_walked_in_german_and_japanese_shows_no_english(app, journey, language):
    patterns = _english_phrases(language)
    assert len(patterns) > 150
    seen, conditions = set(), set()
    for _ in range(4):
        walk = journey(query=f"?lang={language}")
        walk.get(f"?lang={language}")
        _assert_in_language(walk, language, patterns, seen)  # the consent page
        walk.consent()
        for _ in range(40):
            _assert_in_language(walk, language, patterns, seen)
            step = walk.current_step()
            if step is None:
                break
            if step == "design":  # a refused monogram: the error is in the language too
                walk.post("/design", {**walk.design_choices(), "monogram": "A1", "submit": "x"})
                walk.page = walk.last.get_data(as_text=True)
                _assert_in_language(walk, language, patterns, seen)
                walk.get("/design")
            walk.answer(step)
        participant = walk.participant()
        assert participant.language == language and participant.status == "completed"
        conditions.add(participant.visibility)
        walk.get("/no-such-step")
        _assert_in_language(walk, language, patterns, seen)  # the error page
        if conditions == {"public", "private"}:
            break
    assert conditions == {"public", "private"}
    assert {"/s/demo", "/s/demo/design", "/s/demo/suggestions", "/s/demo/revise", "/s/demo/done"} <= seen


def test_suggestions_are_whole_sentences_in_the_participants_language(app, journey):
    walk = journey(query="?lang=de")
    walk.consent()
    walk.answer("thinking_style")
    walk.answer("design")
    _, text = _visible(walk.page)
    wordings = ("Schönes Hemd! Wie wäre es mit", "Sieht gut aus. Vielleicht mal mit", "Gefällt mir! Und was ist mit",
                "Guter Anfang. Ich würde es mit")
    quoted = re.findall(r"„([^“]+)“", text)
    assert len(quoted) == 3 and all(q.startswith(wordings) for q in quoted), quoted
    phrases = set(study_texts("de").values())
    for q in quoted:  # the slot holds one of the hand-written German phrases, not an English one
        wording = next(w for w in wordings if q.startswith(w))
        slot = q[len(wording):].strip(" ?.").removesuffix(" versuchen")
        assert slot in phrases, q
