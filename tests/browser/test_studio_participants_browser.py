"""A real Chromium: the studio's participants page, and a resume link continuing in a second browser context."""

from __future__ import annotations

import pytest
from test_participant_browser import answer_all_radios, browser, output_dir, start  # noqa: F401

from screens import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a browser walk, like test_participant_browser.py

PASSWORD = "correct horse battery"


def make_owner(app) -> None:
    """An experimenter who owns the demo study."""
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import StudyMember
    from webapp.studies import study_by_slug
    with app.app_context():
        account = create_experimenter("owner@lab.example", PASSWORD)
        db.session.add(StudyMember(study_id=study_by_slug("demo").id, experimenter_id=account.id, role="owner"))
        db.session.commit()


def studio_logged_in(browser, live_server):
    """A browser context of its own with the demo's owner logged in to the studio: (context, page)."""
    studio = browser.new_context(viewport={"width": 1400, "height": 900})
    page = studio.new_page()
    page.goto(f"{live_server.url}/studio/login")
    page.fill("input[name=email]", "owner@lab.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return studio, page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_participants_page_issues_a_resume_link_that_works_in_another_browser(browser, live_server, app, request):
    make_owner(app)
    folder = output_dir(request)

    first, participant = start(browser, live_server)  # a participant on the first step, in one browser
    answer_all_radios(participant, "4")

    studio, page = studio_logged_in(browser, live_server)
    page.goto(f"{live_server.url}/studio/studies/demo/participants")
    rows = page.locator("tr[data-participant]")
    assert rows.count() == 1
    assert "thinking_style" in rows.first.inner_text()
    screenshot(page, folder / "participants.png", full_page=True)
    rows.first.get_by_role("button", name="Resume link").click()
    link = page.locator("#resume-link input").input_value()
    assert "/s/demo/resume/" in link
    screenshot(page, folder / "resume-link.png", full_page=True)

    second = browser.new_context()
    other = second.new_page()
    other.goto(link)
    other.wait_for_url("**/thinking-style")
    assert other.locator("input[type=radio]").count() > 0
    # the first browser's session ended: it lands on the consent page again
    participant.goto(f"{live_server.url}/s/demo/thinking-style")
    assert participant.get_by_role("button", name="I agree and want to take part").count() == 1
    used = browser.new_context().new_page()
    used.goto(link)
    assert "used already" in used.content()
    for context in (first, studio, second):
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_participants_page_follows_a_participant_live_and_announces_newcomers(browser, live_server, app):
    make_owner(app)
    from playwright.sync_api import expect
    first, participant = start(browser, live_server)

    studio, page = studio_logged_in(browser, live_server)
    page.goto(f"{live_server.url}/studio/studies/demo/participants?kind=real")
    step = page.locator('tr[data-participant] [data-field="step"]')
    assert step.inner_text() == "thinking_style"

    answer_all_radios(participant, "4")
    participant.locator("input[name='ts_attention'][value='2']").check(force=True)
    participant.get_by_role("button", name="Continue").click()
    participant.wait_for_url("**/design")
    expect(step).to_have_text("design", timeout=15000)  # no reload: the page polled its JSON
    assert "Live, updated" in page.locator("#live-status").inner_text()

    newcomer, _ = start(browser, live_server)
    expect(page.locator("#live-status")).to_contain_text("1 new", timeout=15000)
    page.locator("#refresh-link").click()
    assert page.locator("tr[data-participant]").count() == 2
    assert "kind=real" in page.url  # the refresh keeps the filters
    for context in (first, studio, newcomer):
        context.close()
