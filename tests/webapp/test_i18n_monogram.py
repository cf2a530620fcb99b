"""Monograms take the letters of the study's languages: 'JÖ' in the (German-speaking) demo, not in an English-only study."""

from builders import install_study, participant_at, study_data


def test_the_demo_offered_in_german_accepts_umlaut_initials_in_every_language(app):
    for query in ("?lang=de", "?lang=en", "?lang=ja"):
        designer = participant_at(app, "design", query=query)
        answer = designer.change("monogram", "jö")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json()["monogram"] == "JÖ"


def test_the_design_page_says_which_letters_a_monogram_may_use(app):
    designer = participant_at(app, "design", query="?lang=de")
    page = designer.client.get("/s/demo/design").get_data(as_text=True)
    assert "A–Z, Ä, Ö, Ü" in page


def test_an_english_only_study_refuses_umlauts_and_says_so_in_the_participants_language(app):
    data = study_data(slug="english-only")
    data["study"]["languages"] = ["en"]
    install_study(app, data, "english-only.toml")
    designer = participant_at(app, "design", slug="english-only")
    answer = designer.change("monogram", "JÖ")
    assert answer.status_code == 400
    assert "only the letters A–Z." in answer.get_json()["error"]
    page = designer.client.get("/s/english-only/design").get_data(as_text=True)
    assert "letters: A–Z)" in page and "Ä" not in page


def test_a_refused_monogram_is_explained_in_german_with_the_letters_listed(app):
    designer = participant_at(app, "design", query="?lang=de")
    answer = designer.change("monogram", "山田")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "Ein Monogramm darf nur diese Buchstaben enthalten: A–Z, Ä, Ö, Ü."
