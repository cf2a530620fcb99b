"""WCAG 2.1 AA in a real Chromium: the demo walked in English, German and Japanese, in both conditions, on a
desktop and a phone, to the end; on every page axe-core finds nothing, `<html lang>` is the language, no
English interface text remains; with SCL_SCREENSHOTS=1 a full-page screenshot goes to test-output/a11y/.
The studio's pages are scanned too.

One browser serves all 12 walks (each in a fresh context); pages are answered by what is on them, not by a
fixed script, so a study's own flow is walked as it is declared.
"""

from __future__ import annotations

import re
import shutil

import pytest
from babel.messages.pofile import read_po
from test_participant_browser import OUTPUT, browser  # noqa: F401 - the shared Chromium fixture

from axe import axe_version, describe, install, violations
from experiments.definition import study_texts
from screens import screenshot
from webapp.i18n import TRANSLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGES = ("en", "de", "ja")
CONDITIONS = ("public", "private")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
A11Y = OUTPUT / "a11y"
ATTENTION_ANSWERS = {"ts_attention": "2", "ac_colour": "Orange"}  # the demo's attention items, answered as asked
# Accessible names the walk expects, per page and language: radios named with their anchors, pictures in words.
EXPECTED_NAMES = {
    ("thinking-style", "en"): ("1 – Strongly disagree", "4", "7 – Strongly agree"),
    ("closeness", "en"): ("1 of 7: far apart, the circles do not touch", "7 of 7: the circles overlap almost completely"),
    ("closeness", "de"): ("1 von 7: weit auseinander, die Kreise berühren sich nicht",),
    ("closeness", "ja"): ("7段階中1：離れていて、円は触れていない",),
}


def english_phrases(language: str) -> list[re.Pattern]:
    """Fixed English parts of every interface and study text whose translation differs, as whole-word patterns."""
    if language == "en":
        return []
    texts = {}
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        for message in read_po(f, locale=language):
            if message.id and message.string and message.string != message.id:
                texts[message.id] = message.string
    texts.update({english: said for english, said in study_texts(language).items() if said != english})
    patterns = []
    for english in texts:
        plain = re.sub(r"<[^>]+>", "", english)
        for piece in re.split(r"%\(\w+\)s|\{\w+\}", plain):
            piece = re.sub(r"\s+", " ", piece).strip(" .,:;!?()“”…–-")
            if len(piece) >= 4 and re.search(r"[A-Za-z]{3}", piece):
                patterns.append(re.compile(r"(?<![A-Za-z])" + re.escape(piece) + r"(?![A-Za-z])"))
    return patterns


VISIBLE_TEXT = """() => {
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll("[alt], [aria-label], [title], [placeholder], input[type=submit]")) {
        if (el.closest("[hidden]")) continue;
        for (const name of ["alt", "aria-label", "title", "placeholder"]) if (el.getAttribute(name)) parts.push(el.getAttribute(name));
        if (el.type === "submit") parts.push(el.value);
    }
    return parts.join(" ").replace(/\\s+/g, " ");
}"""


class Walk:
    """One participant in one browser context; every page met is checked and photographed."""

    def __init__(self, page, language: str, folder, patterns):
        self.page, self.language, self.folder, self.patterns = page, language, folder, patterns
        self.count, self.problems, self.scanned = 0, [], []

    def check(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_load_state("load")
        where = f"{self.page.url} ({name})"
        found = violations(self.page)
        if found:
            self.problems.append(describe(found, where))
        lang = self.page.get_attribute("html", "lang")
        if lang != self.language:
            self.problems.append(f"{where}: <html lang={lang!r}>, expected {self.language!r}")
        text = self.page.evaluate(VISIBLE_TEXT)
        leftovers = sorted({p.pattern for p in self.patterns if p.search(text)})
        if leftovers:
            self.problems.append(f"{where}: English text in {self.language}: {leftovers[:6]}")
        for expected in EXPECTED_NAMES.get((name, self.language), ()):
            if not self.page.get_by_role("radio", name=expected, exact=True).count():
                self.problems.append(f"{where}: no radio named {expected!r}")
        screenshot(self.page, self.folder / f"{self.count:02d}-{name}.png", full_page=True)
        self.scanned.append((name, len(found)))

    def submit(self):
        with self.page.expect_navigation():
            self.page.locator("form:not(.js-decision) [type=submit][data-once]:visible").last.click()

    def answer_radios(self, preferred: str):
        """Every radio group: the option with the preferred value, else its first option."""
        names = self.page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
        for name in names:
            wanted = ATTENTION_ANSWERS.get(name, preferred)
            option = self.page.locator(f"input[name='{name}'][value='{wanted}']")
            if not option.count():
                option = self.page.locator(f"input[name='{name}']")
            option.first.check(force=True)

    def step_name(self) -> str:
        return self.page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def _questionnaire(walk: Walk, name: str, first: bool) -> None:
    if first:  # a rejected submit: focus on the first error, which is tied to its field
        walk.submit()
        walk.check(f"{name}-error")
        focused = walk.page.evaluate("() => document.activeElement && (document.activeElement.getAttribute('aria-invalid')"
                                     " || document.activeElement.className)")
        if focused not in ("true", "form-error"):
            walk.problems.append(f"{name}: after a rejected submit the focus is on {focused!r}, not the first error")
    walk.answer_radios("5")
    for box in walk.page.locator("input[type=number]").all():
        low, high = float(box.get_attribute("min") or 0), float(box.get_attribute("max") or 100)
        box.fill(str(int((low + high) / 2)))
    walk.submit()


def _design(walk: Walk) -> None:
    page = walk.page
    page.locator("label.chip").nth(1).click()
    page.wait_for_function("() => document.querySelector('#preview-status').textContent.length > 0")
    page.wait_for_timeout(150)
    walk.submit()


def _revise(walk: Walk) -> None:
    page = walk.page
    card = page.locator(".suggestion").first
    adopt = card.locator("button[value=adopt], form.js-decision button").first
    adopt.click()
    page.wait_for_function("card => card.querySelector('[data-badge]').textContent.trim().length > 0",
                           arg=card.element_handle())
    if adopt.get_attribute("aria-pressed") != "true":
        walk.problems.append("revise: the Adopt button does not report aria-pressed=true after adopting")
    try:
        page.wait_for_function("() => document.querySelector('[role=status]#decision-status')?.textContent.trim()",
                               timeout=2000)
    except Exception:  # noqa: BLE001 - reported with the page's other problems
        walk.problems.append("revise: no live region announced the decision")
    walk.check("revise-adopted")
    walk.submit()


def walk_demo(browser, server_url: str, language: str, viewport: str, folder, slug: str = "demo",  # noqa: F811
              until: str | None = None) -> Walk:
    """Walk a study to its end page (or the page named `until`, left open in walk.page), checking every page."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale={"en": "en-GB", "de": "de-DE", "ja": "ja-JP"}[language])
    install(context)
    page = context.new_page()
    walk = Walk(page, language, folder, english_phrases(language))
    page.goto(f"{server_url}/s/{slug}?lang={language}")
    walk.check("consent")
    with page.expect_navigation():
        page.locator("[name=agree]").click()
    seen: set[str] = set()
    for _ in range(30):
        name = walk.step_name()
        if name == until:
            return walk
        if name == "done":
            walk.check("done")
            page.goto(f"{server_url}/s/{slug}/withdraw")  # the confirmation page only; nothing is withdrawn
            walk.check("withdraw")
            page.goto(f"{server_url}/s/{slug}/no-such-page")
            walk.check("error")
            break
        walk.check(name)
        if name in ("design",):
            _design(walk)
        elif name == "revise":
            _revise(walk)
        elif name in ("suggestions", "review") or not page.locator("input[type=radio], input[type=number]").count():
            walk.submit()
        else:
            _questionnaire(walk, name, first=not seen)
            seen.add(name)
    else:
        raise AssertionError(f"the walk did not end (last page {page.url})")
    context.close()
    return walk


@pytest.fixture
def forced_condition(monkeypatch):
    """Assign every entrant to the given visibility condition (the one relation of the demo)."""
    from webapp.journey import entering

    def force(visibility: str) -> None:
        monkeypatch.setattr(entering, "choose_cell", lambda targets, *rest: f"{visibility}/friend")
    return force


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("viewport", tuple(VIEWPORTS))
@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_demo_page_is_accessible_and_in_its_language(browser, live_server, app, forced_condition,  # noqa: F811
                                                           language, condition, viewport):
    forced_condition(condition)
    folder = A11Y / f"{language}-{condition}-{viewport}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    walk = walk_demo(browser, live_server.url, language, viewport, folder)
    with app.app_context():
        from sqlalchemy import select

        from webapp.extensions import db
        from webapp.models import Participant
        person = db.session.execute(select(Participant)).scalar_one()
        assert (person.status, person.visibility, person.language) == ("completed", condition, language)
    assert walk.count >= 14 and walk.scanned[-3][0] == "done", walk.scanned
    (folder / "axe.txt").write_text(f"axe-core {axe_version()}: {walk.scanned}\n" + "\n".join(walk.problems))
    assert not walk.problems, "\n".join(walk.problems)


STUDIO_PASSWORD = "correct horse battery"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_studio_page_is_accessible(browser, live_server, app, fast_hashes):  # noqa: F811
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        account = create_experimenter("owner@lab.example", STUDIO_PASSWORD)
        study = study_by_slug("demo")
        study.status = "paused"  # the paused badge is on the pages too
        db.session.add(StudyMember(study_id=study.id, experimenter_id=account.id, role="owner"))
        db.session.commit()
    folder = A11Y / "studio-desktop"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    install(context)
    page = context.new_page()
    problems, scanned = [], []

    def check(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(f"{live_server.url}/studio{path}")
        found = violations(page)
        scanned.append((name, len(found)))
        if found:
            problems.append(describe(found, f"{page.url} ({name})"))
        screenshot(page, folder / f"{len(scanned):02d}-{name}.png", full_page=True)

    check("login", "/login")
    page.fill("input[name=email]", "owner@lab.example")
    page.fill("input[name=password]", STUDIO_PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    for name, path in (("index", "/"), ("study", "/studies/demo"), ("monitor", "/studies/demo/monitor"),
                       ("participants", "/studies/demo/participants"), ("upload", "/upload"),
                       ("delete", "/studies/demo/delete"), ("password", "/account/password")):
        check(name, path)
    context.close()
    (folder / "axe.txt").write_text(f"axe-core {axe_version()}: {scanned}\n" + "\n".join(problems))
    assert len(scanned) == 8
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_waiting_page_is_accessible_and_moves_on_by_itself(browser, live_server, app):  # noqa: F811
    """A peer study: the first participant has no one to review and waits; the page polls its status URL
    (no meta refresh) and moves on to the suggestions when the wait is over, without a click."""
    import tomllib

    from builders import install_study, recent_entries
    from experiments.definition import EXPERIMENTS_DIR
    data = tomllib.loads((EXPERIMENTS_DIR / "visibility_relation.toml").read_text("utf-8"))
    data["study"]["slug"] = "peers"
    data["factors"].update(visibility=["public"], relation=["friend"])
    data["suggestions"].update(peer_wait_seconds=20, peer_share=0.5, count=2)
    install_study(app, data, "peers")
    recent_entries(app, "peers", range(10, 100, 10))  # traffic enough that waiting for a peer is worth it
    folder = A11Y / "waiting-desktop"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    walk = walk_demo(browser, live_server.url, "en", "desktop", folder, slug="peers", until="suggestions")
    page = walk.page
    assert page.locator("#waiting").count() == 1, "the first participant should be waiting for peers"
    walk.check("waiting")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.get_by_role("link", name="Check again").is_visible()
    page.wait_for_selector(".suggestion", timeout=45_000)  # moved on by itself
    walk.check("suggestions")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_outcome_pages_are_accessible_in_every_language(browser, live_server, app):  # noqa: F811
    """Declined, withdrawn, duplicate and closed: the pages people meet when they do not (or no longer) take part."""
    from webapp.extensions import db
    from webapp.studies import study_by_slug
    problems, scanned = [], 0
    for language in LANGUAGES:
        folder = A11Y / f"{language}-outcomes-phone"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        context = browser.new_context(viewport=VIEWPORTS["phone"])
        install(context)
        walk = Walk(context.new_page(), language, folder, english_phrases(language))
        page, base = walk.page, f"{live_server.url}/s/demo"
        page.goto(f"{base}?lang={language}")
        with page.expect_navigation():
            page.locator("[name=decline]").click()
        walk.check("declined")
        pid = f"a11y{language}pid0001"
        page.goto(f"{base}?lang={language}&PROLIFIC_PID={pid}&SESSION_ID=s1&STUDY_ID=x")
        with page.expect_navigation():
            page.locator("[name=agree]").click()
        page.goto(f"{base}/withdraw")
        walk.check("withdraw")
        with page.expect_navigation():
            page.locator("form [type=submit]").first.click()
        walk.check("withdrawn")
        other = browser.new_context(viewport=VIEWPORTS["phone"])  # the same recruiting id again, elsewhere
        install(other)
        first = Walk(other.new_page(), language, folder, walk.patterns)
        first.count = walk.count
        first.page.goto(f"{base}?lang={language}&PROLIFIC_PID=dup{pid}&SESSION_ID=s2&STUDY_ID=x")
        with first.page.expect_navigation():
            first.page.locator("[name=agree]").click()
        page.goto(f"{base}?lang={language}&PROLIFIC_PID=dup{pid}&SESSION_ID=s3&STUDY_ID=x")
        if page.locator("[name=agree]").count():
            with page.expect_navigation():
                page.locator("[name=agree]").click()
        walk.check("duplicate")
        other.close()
        with app.app_context():
            study_by_slug("demo").status = "paused"
            db.session.commit()
        page.goto(f"{base}?lang={language}")
        walk.check("closed")
        with app.app_context():
            study_by_slug("demo").status = "open"
            db.session.commit()
        context.close()
        problems += walk.problems
        scanned += walk.count
    assert scanned == 5 * len(LANGUAGES)
    assert not problems, "\n".join(problems)
