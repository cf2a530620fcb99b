"""Entry flooding: rate limits per address, live changes per participant, idle entries free their slot."""

from datetime import timedelta

from sqlalchemy import func, select

from builders import demo_as, nonce_from
from scl_testing import Journey
from webapp.extensions import db
from webapp.models import Event, Participant


def age(model, column, minutes=11):
    """Move a timestamp column of every row into the past (in Python: SQLite has no datetime arithmetic)."""
    for row in db.session.execute(select(model)).scalars():
        setattr(row, column, getattr(row, column) - timedelta(minutes=minutes))
    db.session.commit()


class FromAddress(Journey):
    """A browser at a given client address."""

    def __init__(self, app, slug, address, headers=None):
        super().__init__(app, slug)
        self.client.environ_base["REMOTE_ADDR"] = address
        for name, value in (headers or {}).items():
            self.client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value

    def try_consent(self) -> str:
        """Post consent; the page it leads to (a full study answers 200 without a redirect)."""
        self.get()
        if 'name="nonce"' not in self.page:  # a full study says so before the consent page
            return self.page
        response = self.post("", {"nonce": nonce_from(self.page), "agree": "yes"})
        return self.follow(response).get_data(as_text=True) if response.status_code == 303 else response.get_data(as_text=True)


def test_one_address_gets_only_a_few_consents_and_others_still_enter(make_app):
    app = make_app(CONSENT_RATE_LIMIT="3 per hour")
    outcomes = []
    for _ in range(5):
        browser = FromAddress(app, "demo", "203.0.113.7")
        browser.get()
        nonce = nonce_from(browser.page)
        outcomes.append(browser.post("", {"nonce": nonce, "agree": "yes"}).status_code)
    assert outcomes == [303, 303, 303, 429, 429]
    other = FromAddress(app, "demo", "198.51.100.9")
    assert other.consent().status_code == 200 and "/thinking-style" in other.path
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 4


def test_simulation_key_is_exempt_from_the_entry_limits(make_app):
    app = make_app(CONSENT_RATE_LIMIT="1 per hour", ENTRY_RATE_LIMIT="1 per hour", SIMULATION_KEY="sim-key")
    for _ in range(4):
        FromAddress(app, "demo", "203.0.113.8", {"X-Simulation-Key": "sim-key"}).consent()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 4
    plain = FromAddress(app, "demo", "203.0.113.8")  # exempt requests did not count: one GET left
    assert [plain.get().status_code, plain.get().status_code] == [200, 429]


def test_live_design_changes_are_limited_per_participant(make_app):
    app = make_app(DESIGN_CHANGE_RATE_LIMIT="5 per minute")
    browser = FromAddress(app, "demo", "203.0.113.9")
    browser.consent()
    browser.thinking_style()
    codes = [browser.change("collar", level).status_code for level in ["button_down", "spread"] * 4]
    assert codes.count(429) == 3
    neighbour = FromAddress(app, "demo", "203.0.113.9")  # same address, another participant
    neighbour.consent()
    neighbour.thinking_style()
    assert neighbour.change("collar", "spread").status_code == 200


def test_an_idle_entry_releases_its_slot_before_the_time_limit(make_app):
    app = make_app(SLOT_IDLE_MINUTES=10)
    demo_as(app, "tiny", target_n_per_cell=1)
    holders = [FromAddress(app, "tiny", f"203.0.113.{i}") for i in (20, 21)]
    for holder in holders:
        holder.consent()
    late = FromAddress(app, "tiny", "198.51.100.20")
    assert "This study is full" in late.try_consent()
    with app.app_context():
        age(Participant, "step_started_at")
        age(Event, "at")
    latest = FromAddress(app, "tiny", "198.51.100.21")
    assert "This study is full" not in latest.try_consent()
    assert "/thinking-style" in latest.path
    with app.app_context():
        reasons = db.session.execute(select(Event.payload).where(Event.kind == "timed_out")).scalars().all()
        assert len(reasons) == 2 and all('"idle"' in r for r in reasons)


def test_an_entry_that_is_making_progress_keeps_its_slot(make_app):
    app = make_app(SLOT_IDLE_MINUTES=10)
    demo_as(app, "tiny", target_n_per_cell=1)
    for i in (30, 31):
        FromAddress(app, "tiny", f"203.0.113.{i}").consent()
    with app.app_context():
        age(Participant, "step_started_at")  # started 11 minutes ago, but the last page view was just now
    late = FromAddress(app, "tiny", "198.51.100.30")
    assert "This study is full" in late.try_consent()


def test_recruiting_id_with_a_trailing_newline_is_refused(client):
    assert client.get("/s/demo?PROLIFIC_PID=abc%0A").status_code == 400
    assert client.get("/s/demo?PROLIFIC_PID=abc").status_code == 303
