"""The whole demo with the keyboard alone, and keyboard users leave the same data as mouse users.

Only Tab, Space, Enter, the arrow keys and typed digits: no mouse clicks, no .check() or
.click(). Arrow keys move through a choice group option by option; the preview follows every
press, yet the design change is recorded once, when the participant settles, as for a mouse
user who clicks the final choice. The time-limit warning (WCAG 2.2.1) is tested here too:
it appears before the deadline, is reached and used with the keyboard, and the one
extension is recorded.
"""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_participant_browser import CHROMIUM, browser, output_dir  # noqa: F401 - the module's Chromium fixture

from builders import install_study, study_data
from screens import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETTLE_MS = 2500  # longer than the product's 700 ms: a busy test machine renders a preview in ~0.3–1 s
ARROWS = {"collar": 3, "colour": 4}  # the scripted arrow-key sequence on the design page: presses per group


@pytest.fixture
def app(make_app):
    return make_app(KEYBOARD_SETTLE_MS=SETTLE_MS)


# ---------------------------------------------------------------- keyboard moves
def focused(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if focused(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector!r} on {page.url}")


def group_values(page, name: str) -> list[str]:
    return page.eval_on_selector_all(f"input[type=radio][name='{name}']", "els => els.map(e => e.value)")


def checked_value(page, name: str) -> str | None:
    return page.evaluate(f"() => document.querySelector(\"input[name='{name}']:checked\")?.value ?? null")


def choose(page, name: str, value: str) -> None:
    """Tab into a radio group, select with Space if nothing is chosen yet, then arrow to `value`."""
    tab_to(page, f"input[type=radio][name='{name}']")
    if checked_value(page, name) is None:
        page.keyboard.press("Space")
    values = group_values(page, name)
    steps = (values.index(value) - values.index(checked_value(page, name))) % len(values)
    for _ in range(steps):
        page.keyboard.press("ArrowRight")
    assert checked_value(page, name) == value


def radio_groups(page) -> list[str]:
    return page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")


def answer_page(page, answers: dict[str, str], default: str) -> None:
    for name in radio_groups(page):
        values = group_values(page, name)
        choose(page, name, answers.get(name, default if default in values else values[0]))


def press_button(page, name: str) -> None:
    """Tab to the button named `name` and press Enter."""
    for _ in range(250):
        label = page.evaluate("""() => { const e = document.activeElement;
            return e && (e.tagName === 'BUTTON' || e.type === 'submit') ? (e.innerText || e.value || '').trim() : ''; }""")
        if label == name:
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the button {name!r} on {page.url}")


# ---------------------------------------------------------------- what was recorded
def participants(app):
    from webapp.extensions import db
    from webapp.models import Participant
    with app.app_context():
        return db.session.execute(select(Participant).order_by(Participant.id)).scalars().all()


def design_changes(app, participant_id: int, step: str = "design") -> list[dict]:
    from webapp.extensions import db
    from webapp.models import Event
    with app.app_context():
        return [json.loads(e.payload) for e in db.session.execute(select(Event).where(
            Event.participant_id == participant_id, Event.kind == "attribute_changed", Event.step == step)
            .order_by(Event.id)).scalars()]


def wait_for_preview_of(page, attribute: str, level: str) -> None:
    """The preview shows the picture of this choice (the draft address carries it), loaded."""
    page.wait_for_function(
        """([a, l]) => { const img = document.querySelector('#preview');
                         return new URL(img.src).searchParams.get(a) === l && img.complete && img.naturalWidth > 0; }""",
        arg=[attribute, level], timeout=15000)


# ---------------------------------------------------------------- the journey
def start(browser, live_server, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, **options)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/demo")
    press_button(page, "I agree and want to take part")
    page.wait_for_url("**/thinking-style")
    return context, page


def keyboard_design(app, page, participant_id: int) -> dict[str, str]:
    """The scripted arrow-key sequence; checks the preview follows each press and what is recorded when."""
    page.wait_for_url("**/design")
    final = {}
    for attribute, presses in ARROWS.items():
        tab_to(page, f"input[type=radio][name='{attribute}']")
        start_level = checked_value(page, attribute)
        for _ in range(presses):
            page.keyboard.press("ArrowRight")
            wait_for_preview_of(page, attribute, checked_value(page, attribute))
        final[attribute] = checked_value(page, attribute)
        assert final[attribute] != start_level
        # nothing is recorded while the participant is still moving (each press came before the settle time)
        assert [c["attribute"] for c in design_changes(app, participant_id)] == list(final)[:-1]
        if attribute == "collar":  # settles by waiting: one change, straight from the start to the final level
            time.sleep(SETTLE_MS / 1000 + 1.5)
            changes = design_changes(app, participant_id)
            assert [(c["before"], c["after"]) for c in changes] == [(start_level, final["collar"])]
        # the colour settles by leaving the group (the Tab to the submit button below)
    press_button(page, "Submit my design")
    page.wait_for_url("**/suggestions")
    return final


def complete_by_keyboard(app, page, participant_id: int, condition: str, folder) -> dict[str, str]:
    answer_page(page, {"ts_attention": "2"}, "4")
    press_button(page, "Continue")
    final = keyboard_design(app, page, participant_id)
    notice = page.locator(".notice").inner_text()
    assert ("Public" in notice) == (condition == "public")
    press_button(page, "Revise my design")
    page.wait_for_url("**/revise")
    tab_to(page, ".suggestion button")  # the first suggestion's Adopt
    assert page.evaluate("() => document.activeElement.innerText.trim()") == "Adopt"
    page.keyboard.press("Enter")
    page.locator(".suggestion [data-badge]").first.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('.suggestion [data-badge]').textContent.trim() === 'Adopted'")
    screenshot(page, folder / f"revise-keyboard-{condition}.png", full_page=True)
    press_button(page, "Submit my final design")
    page.wait_for_url("**/closeness")
    answer_page(page, {}, "5")
    press_button(page, "Continue")
    page.wait_for_url("**/evaluation")
    answer_page(page, {}, "6")
    tab_to(page, "input[name='wtp']")
    page.keyboard.type("45")
    press_button(page, "Continue")
    page.wait_for_url("**/checks")
    answer_page(page, {"ac_colour": "Orange"}, "5")
    press_button(page, "Continue")
    page.wait_for_url("**/demographics")
    press_button(page, "Finish")
    page.wait_for_url("**/done")
    assert page.locator("#completion-code").inner_text() == "DEMO-DONE"
    return final


def mouse_design(page, final: dict[str, str]) -> None:
    """The comparison: a mouse user clicking the same final choices on the design page."""
    page.wait_for_url("**/design")
    for attribute, level in final.items():
        before = page.get_attribute("#preview", "src")
        page.locator(f"label.chip:has(input[name='{attribute}'][value='{level}'])").click()
        page.wait_for_function("src => document.querySelector('#preview').src !== src", arg=before)
    page.wait_for_function("() => document.querySelector('#preview-status').textContent.includes('up to date')")


def test_the_whole_demo_by_keyboard_records_what_a_mouse_user_records(app, live_server, browser, request):
    folder = output_dir(request)
    keyboard = [start(browser, live_server), start(browser, live_server)]
    people = participants(app)
    assert sorted(p.visibility for p in people) == ["private", "public"]
    finals = []
    for (context, page), person in zip(keyboard, people):
        finals.append(complete_by_keyboard(app, page, person.id, person.visibility, folder))
        context.close()
    assert finals[0] == finals[1]

    context, page = start(browser, live_server)
    mouse = participants(app)[-1]
    answer_page(page, {"ts_attention": "2"}, "4")  # the questionnaire is not what is compared
    press_button(page, "Continue")
    mouse_design(page, finals[0])
    context.close()

    mouse_changes = design_changes(app, mouse.id)
    for person in people:
        keyboard_changes = design_changes(app, person.id)
        assert len(keyboard_changes) == len(mouse_changes) == len(ARROWS)  # not one per option passed
        assert [(c["attribute"], c["before"], c["after"]) for c in keyboard_changes] == \
               [(c["attribute"], c["before"], c["after"]) for c in mouse_changes]
        assert {c["via"] for c in keyboard_changes} == {c["via"] for c in mouse_changes} == {"live"}
    completed = participants(app)[:2]
    assert [p.status for p in completed] == ["completed", "completed"]
    assert all(p.n_adopted == 1 for p in completed)


# ---------------------------------------------------------------- the time limit
@pytest.fixture
def short_study(app):
    """The demo with the shortest allowed limit (5 minutes: the warning comes at 60 s)."""
    data = study_data("demo", "demo-short")
    data["study"]["time_limit_minutes"] = 5
    return install_study(app, data, "demo-short")


def move_deadline(app, seconds_from_now: float):
    from webapp.extensions import db
    from webapp.models import Participant, utcnow
    with app.app_context():
        participant = db.session.execute(select(Participant)).scalar_one()
        participant.deadline_at = utcnow() + timedelta(seconds=seconds_from_now)
        db.session.commit()
        return participant.deadline_at


def extensions(app) -> list[dict]:
    from webapp.extensions import db
    from webapp.models import Event
    with app.app_context():
        return [json.loads(e.payload) for e in db.session.execute(
            select(Event).where(Event.kind == "time_extended")).scalars()]


def test_the_time_limit_warning_appears_in_time_and_more_time_is_asked_by_keyboard(
        app, live_server, browser, short_study, request):
    folder = output_dir(request)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{short_study}")
    press_button(page, "I agree and want to take part")
    page.wait_for_url("**/thinking-style")
    warning = page.locator("#time-warning")
    assert warning.is_hidden()
    old = move_deadline(app, 63)  # 3 s before the 60 s warning
    page.reload()
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=10000)
    # the alert's text is written 60 ms after the warning shows (emptied first, so it is announced again)
    page.wait_for_function("() => document.querySelector('#time-warning [role=alert]').textContent.trim()")
    assert re.fullmatch(r"Time left in this study: (1:00|0:[0-5]\d)\.", page.locator("#time-warning [role=alert]").inner_text())
    screenshot(page, folder / "time-warning.png")
    tab_to(page, "#time-warning button")
    assert page.evaluate("() => document.activeElement.innerText.trim()") == "I need more time"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#time-warning [role=alert]').textContent.includes('more time now')")
    assert page.locator("#time-warning button").count() == 0
    assert focused(page, "#time-warning"), "focus stays with the message when its button goes"
    [event] = extensions(app)
    assert event["minutes"] == 5 and event["before"] == old.isoformat()
    assert page.url.endswith("/thinking-style"), "asking for more time does not leave the page"
    context.close()


def test_without_javascript_the_notice_and_its_button_still_give_more_time(app, live_server, browser, short_study):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{short_study}")
    press_button(page, "I agree and want to take part")
    page.wait_for_url("**/thinking-style")
    assert page.locator("#time-warning").is_hidden()
    move_deadline(app, 50)
    page.reload()
    assert page.locator("#time-warning").is_visible()
    assert "Time left in this study: 0:" in page.locator("#time-warning").inner_text()
    with page.expect_navigation():  # the form posts and comes back to the same URL: wait for the new page
        press_button(page, "I need more time")
    page.wait_for_url("**/thinking-style")
    assert page.locator("#time-warning").is_hidden()
    assert len(extensions(app)) == 1
    context.close()
