"""Uploading a study file: the documented 64 KB limit is the one enforced, and odd files get a clear 4xx."""

from __future__ import annotations

import io

import pytest

from builders import add_experimenter, logged_in, login, study_row, token
from scl_testing import csrf_from

LIMIT = 64 * 1024


def source(slug: str = "uploaded") -> str:
    from experiments.definition import EXPERIMENTS_DIR
    return (EXPERIMENTS_DIR / "visibility.toml").read_text("utf-8").replace('slug = "visibility"', f'slug = "{slug}"')


def padded(text: str, size: int) -> bytes:
    """The study file grown to exactly `size` bytes with comment lines (still valid TOML)."""
    data = text.encode() + b"\n"
    line = b"# padding to test the size limit\n"
    data += line * ((size - len(data)) // len(line))
    return data + b"#" * (size - len(data) - 1) + b"\n"


def upload(client, data: bytes, name: str = "study.toml"):
    return client.post("/studio/upload", data={"csrf_token": token(client, "/studio/upload"),
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_study_file_of_the_documented_64_kb_loads(app, fast_hashes):
    client = logged_in(app)
    data = padded(source(), LIMIT)
    assert len(data) == LIMIT
    response = upload(client, data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert study_row(app, "uploaded").title
    assert "64 KB" in client.get("/studio/upload").get_data(as_text=True)  # the page says the limit


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT + 4096, 4 * LIMIT])
def test_a_study_file_over_the_limit_gets_a_413_page_that_names_the_limit(app, size):
    client = logged_in(app)
    response = upload(client, padded(source(), size))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 64 KB" in page and "Upload a study file" in page and "Traceback" not in page
    from webapp.studies import study_by_slug
    with app.app_context():
        assert study_by_slug("uploaded") is None


def test_other_studio_forms_keep_the_small_form_limit(app, fast_hashes):
    client = logged_in(app)
    response = client.post("/studio/account/password", data={"csrf_token": token(client, "/studio/account/password"),
                                                             "current": "x", "repeat": "x",
                                                             "new": "p" * (20 * 1024)},
                           content_type="multipart/form-data")
    assert response.status_code == 413


@pytest.mark.parametrize("text", ["a=" + "[" * 100000, "a=" + "[" * 60000, "a=" + "[" * 5000,
                                  "a=" + "[" * 40 + "]" * 40, "a = " + "{b = " * 40 + "1" + "}" * 40])
def test_deeply_nested_toml_is_a_clear_4xx_not_a_crash(app, text):
    client = logged_in(app)
    response = upload(client, text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 413), page[:300]
    assert "levels deep" in page or "larger than 64 KB" in page
    assert "RecursionError" not in page and "went wrong on our side" not in page


def test_nesting_inside_a_valid_study_is_refused_with_the_limit(app, fast_hashes):
    client = logged_in(app)
    response = upload(client, (source() + "\n[extra]\nx = " + "[" * 33 + "1" + "]" * 33 + "\n").encode())
    assert response.status_code == 400 and "more than 32 levels deep" in response.get_data(as_text=True)


def test_an_upload_with_untranslated_texts_loads_and_warns_which_stay_english(app, fast_hashes):
    client = logged_in(app)
    data = source().replace('title = "Design your own dress shirt"', 'title = "Our own shirt study"')
    response = upload(client, data.encode())
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "stay English in &#39;de&#39;" in page and "[translations.ja]" in page


# ---------------------------------------------------------------- uploading a study file
def test_an_uploaded_study_file_is_validated_and_loaded(app, fast_hashes):
    from webapp.extensions import db
    from webapp.models import StudyMember
    client = logged_in(app)
    study_file = source("uploaded")
    csrf = token(client, "/studio/upload")

    def upload(text, name="study.toml"):
        return client.post("/studio/upload", data={"csrf_token": csrf, "file": (io.BytesIO(text.encode()), name)},
                           content_type="multipart/form-data")

    broken = upload(study_file.replace("target_n_per_cell = 150", "target_n_per_cell = -3")
                    .replace('rule = "random"', 'rule = "whatever"'))
    assert broken.status_code == 400
    text = broken.get_data(as_text=True)
    assert "target_n_per_cell" in text and "suggestions.rule" in text  # every problem, not the first only
    assert upload("this is = = not toml").status_code == 400
    sneaky = upload(study_file + '\n[thinking_style]\ninstrument = "/etc/passwd"\n')
    assert sneaky.status_code == 400 and "instruments shipped" in sneaky.get_data(as_text=True)

    response = upload(study_file, "uploaded.toml")
    assert response.status_code == 303 and response.headers["Location"].endswith("/studio/studies/uploaded")
    with app.app_context():
        study = study_row(app, "uploaded")
        assert db.session.get(StudyMember, (study.id, 1)).role == "owner"
    page = client.get("/studio/studies/uploaded").get_data(as_text=True)
    assert "uploaded.toml" in page and "version <strong>1</strong>" in page
    assert "Unchanged" in client.get(upload(study_file, "uploaded.toml").headers["Location"]).get_data(as_text=True)

    # A slug of someone else's study cannot be taken over.
    add_experimenter(app, "intruder@lab.example")
    intruder = app.test_client()
    login(intruder, "intruder@lab.example")
    html = intruder.get("/studio/upload").get_data(as_text=True)
    taken = intruder.post("/studio/upload", data={"csrf_token": csrf_from(html), "file": (io.BytesIO(
        study_file.replace("Design your own", "Hijacked").encode()), "x.toml")}, content_type="multipart/form-data")
    assert taken.status_code == 400 and "not a member" in taken.get_data(as_text=True)
    assert study_row(app, "uploaded").title == "Design your own dress shirt"
