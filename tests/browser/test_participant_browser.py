"""A real Chromium completes the study in each condition; the preview follows the controls."""

import os
import shutil
from pathlib import Path

import pytest

from scl_testing import missing
from screens import screenshot

CHROMIUM = os.environ.get("SCL_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("SCL_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output"))

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--disable-gpu", "--disable-sync"])
        yield browser
        browser.close()


def output_dir(request) -> Path:
    folder = OUTPUT / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def preview_state(page):
    return page.eval_on_selector("#preview", "img => [img.src, img.complete && img.naturalWidth]")


def answer_all_radios(page, value: str):
    """Click the option with the given value in every radio group on the page."""
    names = page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for name in names:
        option = page.locator(f"input[name='{name}'][value='{value}']")
        if option.count():
            option.first.check(force=True)
    return names


def start(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/demo")
    page.get_by_role("button", name="I agree and want to take part").click()
    page.wait_for_url("**/thinking-style")
    return context, page


def finish(page, condition: str, folder: Path):
    answer_all_radios(page, "4")
    page.locator("input[name='ts_attention'][value='2']").check(force=True)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/design")

    before_src, width = preview_state(page)
    assert width >= 600
    page.locator("label.chip", has_text="Button-down").click()
    page.wait_for_function("src => document.querySelector('#preview').src !== src && document.querySelector('#preview').complete",
                           arg=before_src)
    after_src, width = preview_state(page)
    assert after_src != before_src and width >= 600
    before_bytes = page.request.get(before_src).body()
    after_bytes = page.request.get(after_src).body()
    assert before_bytes != after_bytes, "changing the collar must change the picture"
    page.fill("input[name='monogram']", "jd")
    page.wait_for_function("() => document.querySelector('#preview-status').textContent.includes('up to date')")
    screenshot(page, folder / f"design-{condition}.png", full_page=True, read_by_the_test=True)  # a painted page

    page.reload()  # the design survives a reload
    assert page.locator("input[name='collar'][value='button_down']").is_checked()
    page.get_by_role("button", name="Submit my design").click()
    page.wait_for_url("**/suggestions")
    notice = page.locator(".notice").inner_text()
    assert ("Public" in notice) == (condition == "public")
    page.get_by_role("button", name="Revise my design").click()
    page.wait_for_url("**/revise")

    first_card = page.locator(".suggestion").first
    attribute = first_card.get_attribute("data-attribute")
    level = first_card.get_attribute("data-level")
    first_card.get_by_role("button", name="Adopt").click()
    page.wait_for_function("([a, l]) => document.querySelector(`input[name='${a}'][value='${l}']`).checked",
                           arg=[attribute, level])
    assert first_card.locator("[data-badge]").inner_text() == "Adopted"
    page.get_by_role("button", name="Submit my final design").click()
    page.wait_for_url("**/closeness")
    answer_all_radios(page, "5")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/evaluation")
    answer_all_radios(page, "6")
    page.fill("input[name='wtp']", "45")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/checks")
    answer_all_radios(page, "5")
    page.locator("input[name='ac_colour'][value='Orange']").check(force=True)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/demographics")
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url("**/done")
    assert page.locator("#completion-code").inner_text() == "DEMO-DONE"
    screenshot(page, folder / f"done-{condition}.png")
    return attribute, level


def test_participants_complete_the_study_in_both_conditions_in_chromium(app, live_server, browser, request):
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Participant

    folder = output_dir(request)
    first = start(browser, live_server)
    second = start(browser, live_server)
    with app.app_context():
        conditions = [p.visibility for p in db.session.execute(select(Participant).order_by(Participant.id)).scalars()]
    assert sorted(conditions) == ["private", "public"]
    for (context, page), condition in zip((first, second), conditions):
        finish(page, condition, folder)
        context.close()
    with app.app_context():
        people = db.session.execute(select(Participant)).scalars().all()
        assert [p.status for p in people] == ["completed", "completed"]
        assert all(p.n_adopted == 1 for p in people)
    assert (folder / "design-public.png").stat().st_size > 10_000


def test_the_design_page_works_without_javascript(app, live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/demo")
    page.get_by_role("button", name="I agree and want to take part").click()
    answer_all_radios(page, "3")
    page.locator("input[name='ts_attention'][value='2']").check(force=True)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/design")
    before = page.get_attribute("#preview", "src")
    page.locator("input[name='colour'][value='navy']").check(force=True)
    page.get_by_role("button", name="Update preview").click()
    page.wait_for_url("**/design")
    assert page.get_attribute("#preview", "src") != before
    assert page.locator("input[name='colour'][value='navy']").is_checked()
    context.close()


def test_a_bad_monogram_is_explained_beside_the_field_and_not_saved(app, live_server, browser):
    context, page = start(browser, live_server)
    answer_all_radios(page, "4")
    page.locator("input[name='ts_attention'][value='2']").check(force=True)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/design")
    page.fill("input[name='monogram']", "J1")
    message = page.locator("#attr-monogram [data-field-error]")
    message.wait_for(state="visible")
    assert "only the letters A–Z" in message.inner_text()
    assert page.input_value("input[name='monogram']") == "J1"
    assert "Not saved" in page.locator("#preview-status").inner_text()
    page.fill("input[name='monogram']", "JD")
    page.wait_for_function("() => document.querySelector('#preview-status').textContent.includes('up to date')")
    assert not message.is_visible()
    context.close()
