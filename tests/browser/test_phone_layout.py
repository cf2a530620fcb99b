"""Phones and tablets: no page scrolls sideways, the shirt stays in view beside its options, scales keep one line.

A real Chromium walks the demo (both conditions, English, German and Japanese) at 390 × 844 and 360 × 640, the
review page of the peer study at a phone size, and every studio page at 768 × 1024 and 390 × 844; a desktop walk
proves the same rules hold at 1280 × 900. With SCL_SCREENSHOTS=1, full-page screenshots of every page go to
test-output/phone/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from test_participant_browser import browser  # noqa: F401 - the shared Chromium fixture

from screens import screenshot

OUTPUT = Path(os.environ.get("SCL_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "phone"
PHONES = {"390x844": (390, 844), "360x640": (360, 640)}
PASSWORD = "correct horse battery"
MIN_PREVIEW_PX = 150

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def shot(page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    screenshot(page, folder / f"{name}.png", full_page=True)


def assert_no_sideways_scroll(page, where: str) -> None:
    scroll_width, inner_width = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
    assert scroll_width <= inner_width, f"{where}: the page is {scroll_width} px wide in a {inner_width} px window"


def visible_preview_height(page) -> float:
    """How many pixels of the preview picture are inside the window right now."""
    return page.evaluate("""() => { const r = document.querySelector('#preview').getBoundingClientRect();
        return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) *
               (r.right > 0 && r.left < innerWidth ? 1 : 0); }""")


# For every group heading and option label whose centre is in the window: what is drawn at that centre.
COVERED_CONTROLS = """() => {
  const frame = document.querySelector('.preview-frame');
  const covered = [];
  for (const el of document.querySelectorAll('#design-form legend, #design-form label.chip')) {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (y < 0 || y >= innerHeight || x < 0 || x >= innerWidth) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit && frame.contains(hit)) covered.push(el.textContent.trim() + ' under the preview');
    if (hit && !el.contains(hit) && !hit.closest('.actions.sticky')) covered.push(el.textContent.trim() + ' covered by ' + hit.tagName);
  }
  const p = document.querySelector('#preview').getBoundingClientRect();
  const middle = document.elementFromPoint(p.left + p.width / 2, Math.max(0, p.top) + Math.min(p.height, innerHeight) / 4);
  if (p.bottom > 0 && p.top < innerHeight && middle && !frame.contains(middle))
    covered.push('the preview is covered by ' + middle.tagName + ' ' + middle.textContent.trim().slice(0, 30));
  return covered;
}"""


def assert_editor_usable(page, where: str, folder: Path | None = None) -> None:
    """Scrolled to each option group in turn, the shirt is in view and large, and nothing covers anything."""
    groups = page.locator("#design-form fieldset.attribute")
    assert groups.count() >= 5
    for index in range(groups.count()):
        groups.nth(index).evaluate("el => el.scrollIntoView({block: 'center'})")
        label = groups.nth(index).locator("legend").inner_text()
        assert visible_preview_height(page) >= MIN_PREVIEW_PX, f"{where}: the preview is out of view at {label!r}"
        assert page.evaluate(COVERED_CONTROLS) == [], where
    groups.last.scroll_into_view_if_needed()
    assert visible_preview_height(page) >= MIN_PREVIEW_PX, f"{where}: the preview is out of view at the last group"
    if folder is not None:  # what the participant sees there (a full-page shot cannot show a sticky preview)
        screenshot(page, folder / f"{where.rsplit(' ', 1)[-1]}-window-at-last-group.png")


LINED_UP = """(groups) => [...document.querySelectorAll(groups)].map((group) => {
  const boxes = [...group.querySelectorAll('input[type=radio]')].map((input) => {
    const r = (input.closest('label') || input).getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  });
  const row = boxes.every(([x, y], i) => Math.abs(y - boxes[0][1]) < 3 && (i === 0 || x > boxes[i - 1][0]));
  const column = boxes.every(([x, y], i) => Math.abs(x - boxes[0][0]) < 3 && (i === 0 || y > boxes[i - 1][1]));
  return [boxes.length, row || column];
})"""


def assert_options_in_one_line(page, groups: str, where: str) -> None:
    """Each group's options form one row left to right, or one column top to bottom: never 4 + 3."""
    lines = page.evaluate(LINED_UP, groups)
    assert lines, f"{where}: no {groups}"
    for count, lined_up in lines:
        assert count >= 5 and lined_up, f"{where}: the {count} options of a {groups} break into several rows"


def answer_all_radios(page, value: str) -> None:
    names = page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for name in names:
        option = page.locator(f"input[name='{name}'][value='{value}']")
        if option.count():
            option.first.check(force=True)


def submit(page) -> None:
    page.locator("form [type=submit].primary").last.click()


def adopt_each_suggestion(page, where: str, folder: Path) -> None:
    """Adopt every card: each time the new preview is in the window without any scrolling of ours."""
    cards = page.locator(".suggestion")
    assert cards.count() >= 1
    for index in range(cards.count()):
        card = cards.nth(index)
        card.scroll_into_view_if_needed()
        before = page.get_attribute("#preview", "src")
        card.locator("form.js-decision").first.locator("button").click()
        page.wait_for_function("src => { const img = document.querySelector('#preview');"
                               " return img.src !== src && img.complete; }", arg=before)
        assert visible_preview_height(page) >= MIN_PREVIEW_PX, f"{where}: adopting card {index + 1} happens out of sight"
        assert card.bounding_box()["y"] < page.viewport_size["height"], where
        screenshot(page, folder / f"revise-window-after-adopting-{index + 1}.png")


def look_at_the_gallery(page, where: str, folder: Path) -> None:
    """A public participant's revise page links to the gallery, which shows their shirt: it fits the phone too."""
    link = page.locator("main a[href*='/gallery']")
    if not link.count():
        return
    gallery = page.context.new_page()
    gallery.goto(urljoin(page.url, link.first.get_attribute("href")))
    assert gallery.locator(".gallery-item").count() >= 1
    gallery.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth)")
    assert_no_sideways_scroll(gallery, where + " gallery")
    shot(gallery, folder, "gallery")
    gallery.close()


def page_name(page, slug: str) -> str:
    last = urlparse(page.url).path.rstrip("/").rsplit("/", 1)[-1]
    if last == slug:
        return "consent"
    if last == "suggestions" and page.locator("form [type=submit]").count() == 0:
        return "waiting"
    if last == "review" and page.locator("select[name=suggestion]").count():
        return "review-another-shirt"
    return last


def walk(page, url: str, slug: str, folder: Path, tag: str) -> list[str]:
    """Complete the study through its pages, checking the layout rules on each; returns the pages seen."""
    page.goto(url)
    seen: list[str] = []
    for _ in range(30):
        page.wait_for_load_state()
        name = page_name(page, slug)
        where = f"{tag} {name}"
        if not seen or seen[-1] != name:
            seen.append(name)
            assert_no_sideways_scroll(page, where)
            shot(page, folder, f"{len(seen):02d}-{name}")
        if name == "done":
            return seen
        if name == "waiting":  # it updates itself once the suggestions are ready (a reload of ours could race it)
            page.locator("form [type=submit]").first.wait_for(timeout=20_000)
            continue
        answer(page, name, where, folder)
    raise AssertionError(f"{tag}: the walk did not finish ({seen})")


def answer(page, name: str, where: str, folder: Path) -> None:
    before = page.url
    if name in ("design", "revise"):
        assert_editor_usable(page, where, folder)
        if name == "revise":
            look_at_the_gallery(page, where, folder)
            adopt_each_suggestion(page, where, folder)
            assert_no_sideways_scroll(page, where + " after adopting")
            # suggestion texts vary by participant; the longest German words must wrap, not widen the page
            page.evaluate("() => document.querySelector('.suggestion-text').append(' Perlmuttmanschettenknöpfe')")
            assert_no_sideways_scroll(page, where + " with a long word in a suggestion")
            assert_editor_usable(page, where + " after adopting")
        else:
            page.locator("#design-form label.chip").nth(1).click()  # a change, so the design is not the default
    if name in ("thinking-style", "checks", "evaluation"):
        assert_options_in_one_line(page, "fieldset.likert", where)
    if name == "closeness":
        assert_options_in_one_line(page, ".ios-options", where)
    answer_all_radios(page, "5" if name != "thinking-style" else "4")
    fill_specials(page, name)
    if name == "review-another-shirt":
        page.locator("select[name=suggestion]").select_option(index=1)
    submit(page)
    page.wait_for_url(lambda url: url != before)


def fill_specials(page, name: str) -> None:
    if name == "thinking-style":
        page.locator("input[name='ts_attention'][value='2']").check(force=True)
    if name == "evaluation":
        page.fill("input[name='wtp']", "45")
    if name == "checks":
        page.locator("input[name='ac_colour'][value='Orange']").check(force=True)


def conditions(app) -> list[str]:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        return [p.visibility for p in db.session.execute(select(Participant).order_by(Participant.id)).scalars()]


@pytest.mark.parametrize("viewport", list(PHONES))
@pytest.mark.parametrize("lang", ["en", "de", "ja"])
def test_every_participant_page_works_on_a_phone_in_both_conditions(app, live_server, browser, viewport, lang):
    width, height = PHONES[viewport]
    folder = fresh(OUTPUT / f"{viewport}-{lang}")
    for _ in range(2):  # the second participant gets the other condition
        context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
        page = context.new_page()
        seen = walk(page, f"{live_server.url}/s/demo?lang={lang}", "demo", folder / "walking", f"{viewport} {lang}")
        (folder / "walking").rename(folder / conditions(app)[-1])
        assert page.locator("html").get_attribute("lang") == lang
        assert seen[:3] == ["consent", "thinking-style", "design"] and "revise" in seen and seen[-1] == "done"
        context.close()
    assert sorted(conditions(app)) == ["private", "public"]


@pytest.mark.parametrize("viewport", list(PHONES))
def test_the_pages_off_the_main_path_fit_a_phone(app, live_server, browser, viewport):
    """Declining, withdrawing and an unknown address: each page fits the phone too."""
    width, height = PHONES[viewport]
    folder = fresh(OUTPUT / f"{viewport}-other-pages")
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/demo?lang=de")
    page.locator("form [type=submit].secondary").click()
    page.wait_for_url("**/declined**")
    for name, go in [("declined", None), ("consent-again", "/s/demo?lang=ja"), ("not-found", "/s/no-such-study")]:
        if go:
            page.goto(f"{live_server.url}{go}")
        assert_no_sideways_scroll(page, name)
        shot(page, folder, name)
    page.goto(f"{live_server.url}/s/demo?lang=ja")
    page.locator("form [type=submit].primary").click()
    page.wait_for_url("**/thinking-style")
    page.goto(f"{live_server.url}/s/demo/withdraw")
    assert_no_sideways_scroll(page, "withdraw")
    shot(page, folder, "withdraw")
    page.locator("form [type=submit].danger").click()
    page.wait_for_load_state()
    assert_no_sideways_scroll(page, "withdrawn")
    shot(page, folder, "withdrawn")
    context.close()


@pytest.mark.parametrize("size", ["1280x900", "768x1024"])
def test_desktop_and_tablet_keep_the_same_rules(app, live_server, browser, size):
    width, height = (int(n) for n in size.split("x"))
    context = browser.new_context(viewport={"width": width, "height": height})
    seen = walk(context.new_page(), f"{live_server.url}/s/demo", "demo", fresh(OUTPUT / f"{size}-en"), size)
    assert seen[-1] == "done"
    context.close()


def test_the_review_and_waiting_pages_fit_a_phone(app, live_server, browser):
    """The peer study in one cell (reviews stay within a cell): the second participant reviews the first one's shirt."""
    from builders import install_study, study_data
    data = study_data("visibility_relation", visibility=["public"], relation=["stranger"])
    data["suggestions"]["peer_wait_seconds"] = 2
    slug = install_study(app, data, "visibility_relation")
    seen_all = []
    for index, lang in enumerate(["en", "ja"]):
        context = browser.new_context(viewport={"width": 360, "height": 640})
        page = context.new_page()
        folder = fresh(OUTPUT / f"360x640-{lang}-peer-study-{index + 1}")
        seen_all.append(walk(page, f"{live_server.url}/s/{slug}?lang={lang}", slug, folder, f"peer {lang}"))
        context.close()
    assert "review" in seen_all[0] and "review-another-shirt" in seen_all[1], seen_all


STUDIO_PAGES = ["/studio/", "/studio/studies/demo", "/studio/studies/demo/monitor",
                "/studio/studies/demo/monitor?include_pilot=1", "/studio/studies/demo/participants",
                "/studio/studies/demo/delete", "/studio/upload", "/studio/account/password"]


@pytest.mark.parametrize("size", ["768x1024", "390x844"])
def test_every_studio_page_fits_a_tablet_and_a_phone(app, live_server, browser, size, fast_hashes):
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        account = create_experimenter("owner@lab.example", PASSWORD)
        db.session.add(StudyMember(study_id=study_by_slug("demo").id, experimenter_id=account.id, role="owner"))
        db.session.commit()
    participant = browser.new_context().new_page()  # one participant, so the tables have a row
    participant.goto(f"{live_server.url}/s/demo")
    participant.locator("form [type=submit].primary").click()
    participant.wait_for_url("**/thinking-style")

    width, height = (int(n) for n in size.split("x"))
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    folder = fresh(OUTPUT / f"studio-{size}")
    page.goto(f"{live_server.url}/studio/login")
    assert_no_sideways_scroll(page, "login")
    shot(page, folder, "login")
    page.fill("input[name=email]", "owner@lab.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/studio/")
    for path in STUDIO_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, path
        assert_no_sideways_scroll(page, path)
        shot(page, folder, path.strip("/").replace("/", "_").replace("?", "_") or "index")
    if width < 500:  # the participants table is wider than a phone: it scrolls inside its own box
        page.goto(f"{live_server.url}/studio/studies/demo/participants")
        overflow = page.evaluate("() => Math.max(...[...document.querySelectorAll('.table-scroll')]"
                                 ".map(box => box.scrollWidth - box.clientWidth))")
        assert overflow > 0
