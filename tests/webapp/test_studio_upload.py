"""Uploading a study file: the documented 64 KB limit is the one enforced, and odd files get a clear 4xx."""

from __future__ import annotations

import io

import pytest
from test_studio import logged_in, study_row, token  # noqa: F401

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
