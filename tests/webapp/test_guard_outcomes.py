"""Outcome codes a study sets are shown on that outcome's page; live changes stop at the deadline."""

from datetime import timedelta

from builders import install_study, nonce_from, study_data
from scl_testing import Journey
from webapp.extensions import db
from webapp.models import Participant


def install(app):
    data = study_data("demo", "coded", target_n_per_cell=1)
    data["completion"].update(full={"code": "CODE-FULL"}, duplicate={"code": "CODE-DUP"},
                              declined={"code": "CODE-DECL"})
    install_study(app, data, "coded")


def post_consent(walker, choice="agree"):
    walker.get(walker.query)
    response = walker.post("", {"nonce": nonce_from(walker.page), choice: "yes"})
    return response


def test_full_duplicate_and_declined_pages_show_the_studys_codes(app):
    install(app)
    decliner = Journey(app, "coded")
    page = decliner.follow(post_consent(decliner, "decline")).get_data(as_text=True)
    assert "CODE-DECL" in page
    for i in range(2):
        Journey(app, "coded", f"?PROLIFIC_PID=p{i}").consent()
    # a full study says so (with its code) before the consent page
    full = Journey(app, "coded", "?PROLIFIC_PID=p9").get("?PROLIFIC_PID=p9")
    assert "CODE-FULL" in full.get_data(as_text=True) and "nonce" not in full.get_data(as_text=True)
    # someone who already took part still learns that, not that the study is full
    duplicate = post_consent(Journey(app, "coded", "?PROLIFIC_PID=p0"))
    assert duplicate.status_code == 409 and "CODE-DUP" in duplicate.get_data(as_text=True)


def test_live_changes_after_the_deadline_are_refused(app):
    walker = Journey(app)
    walker.consent()
    walker.thinking_style()
    assert walker.change("collar", "wing").status_code == 200
    with app.app_context():
        participant = db.session.get(Participant, walker.participant().id)
        participant.deadline_at -= timedelta(hours=5)
        db.session.commit()
    response = walker.change("collar", "spread")
    assert response.status_code == 409
    participant = walker.participant()
    assert participant.status == "timed_out" and '"spread"' not in participant.design_json
