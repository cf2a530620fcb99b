"""Assignment: balanced, sticky, full when full, and a timed-out participant frees their slot."""


from sqlalchemy import select

from builders import demo_as, nonce_from
from webapp.extensions import db
from webapp.models import Participant


def test_cells_fill_evenly_and_then_the_study_says_it_is_full(app, journey):
    demo_as(app, "tiny", target_n_per_cell=1)
    first, second, third = journey("tiny"), journey("tiny"), journey("tiny")
    third.get()  # opened the consent page while places were free
    first.consent()
    second.consent()
    assert {first.participant().visibility, second.participant().visibility} == {"public", "private"}
    late = journey("tiny").get().get_data(as_text=True)  # arriving now: told before the consent text
    assert "This study is full" in late and 'name="nonce"' not in late
    nonce = nonce_from(third.page)
    response = third.post("", {"nonce": nonce, "agree": "yes"})
    assert response.status_code == 200 and "This study is full" in response.get_data(as_text=True)
    assert third.participant() is None


def test_the_cell_is_sticky_across_reloads_and_returns(app, journey):
    demo_as(app, "tiny", target_n_per_cell=1)
    walker = journey("tiny")
    walker.consent()
    cell = walker.participant().cell
    for _ in range(3):
        walker.get()
        walker.get("/thinking-style")
    assert walker.participant().cell == cell
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Participant)) == 1


def test_a_participant_past_the_time_limit_frees_the_slot_for_the_next_entrant(app, journey):
    demo_as(app, "tiny", target_n_per_cell=1)
    first, second, late = journey("tiny"), journey("tiny"), journey("tiny")
    first.consent()
    second.consent()
    overdue_id = first.participant().id
    with app.app_context():
        row = db.session.get(Participant, overdue_id)
        freed_cell = row.cell
        row.deadline_at = row.entered_at.replace(year=2000)
        db.session.commit()
    late.consent()
    assert late.path.endswith("/thinking-style")
    assert late.participant().cell == freed_cell
    with app.app_context():
        assert db.session.get(Participant, overdue_id).status == "timed_out"
