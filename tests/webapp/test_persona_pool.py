"""The study's persona pool in use: names in the participant's language, and gallery comments that come one by
one, in each post's own order, at human-looking times."""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from builders import study_data
from webapp import journey
from webapp.domain.comment_timing import comment_times
from webapp.extensions import db
from webapp.models import Suggestion, utcnow
from webapp.studies import install_definition, study_by_slug


def enter_with_suggestions(app, slug: str, n: int, language: str, posted_minutes_ago: float = 0) -> list[int]:
    ids = []
    with app.app_context():
        for _ in range(n):
            p = journey.enter(study_by_slug(slug), secrets.token_urlsafe(18), language=language).participant
            while p.step != "design":
                journey.advance(p)
            journey.submit_initial_design(p)
            p.initial_submitted_at = utcnow() - timedelta(minutes=posted_minutes_ago)
            ids.append(p.id)
        db.session.commit()
    return ids


def names_of(app, ids) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(Suggestion.persona_name).where(Suggestion.participant_id.in_(ids)))
                   .scalars())


def test_participants_see_names_from_the_studys_pool_in_their_language(app):
    german, japanese = enter_with_suggestions(app, "demo", 15, "de"), enter_with_suggestions(app, "demo", 5, "ja")
    with app.app_context():
        definition = study_by_slug("demo").current_version.definition
        pools = {lang: {name for name, _ in definition.pool_in(lang)} for lang in ("de", "ja")}
    assert names_of(app, german) <= pools["de"] and len(names_of(app, german)) > 6
    assert names_of(app, japanese) <= pools["ja"]


def test_a_study_without_a_pool_draws_from_the_built_in_one(app):
    from webapp.domain.personas import DEFAULT_POOLS
    data = study_data("demo", "nopool")
    data.pop("persona_pool")
    with app.app_context():
        from experiments.definition import parse_study
        install_definition(parse_study(data, source="nopool"))
        db.session.commit()
    japanese = enter_with_suggestions(app, "nopool", 5, "ja")
    assert names_of(app, japanese) <= {name for name, _ in DEFAULT_POOLS["ja"]}


# ---------------------------------------------------------------- comment timing (pure)
POSTED = datetime(2026, 3, 1, 12, 0, 0)


def test_comments_come_after_the_post_and_before_now_oldest_first():
    for seed in range(50):
        times = comment_times(3, POSTED, POSTED + timedelta(hours=2), random.Random(seed))
        moments = [at for _, at in times]
        assert sorted(index for index, _ in times) == [0, 1, 2]
        assert moments == sorted(moments) and POSTED < moments[0] and moments[-1] <= POSTED + timedelta(hours=2)
        assert len(set(moments)) == 3  # never all at once


def test_a_recent_post_squeezes_the_comments_into_the_time_since():
    now = POSTED + timedelta(seconds=20)
    times = comment_times(3, POSTED, now, random.Random(1))
    assert all(POSTED <= at <= now for _, at in times)


def test_each_post_has_its_own_order_and_rhythm():
    firsts = {comment_times(3, POSTED, POSTED + timedelta(hours=1), random.Random(seed))[0][0] for seed in range(30)}
    assert firsts == {0, 1, 2}  # not always the same suggestion first
    gaps = set()
    for seed in range(30):
        moments = [at for _, at in comment_times(3, POSTED, POSTED + timedelta(hours=1), random.Random(seed))]
        gaps.add(round((moments[1] - moments[0]).total_seconds()))
    assert len(gaps) > 20 and min(gaps) >= 1 and max(gaps) < 3600


# ---------------------------------------------------------------- the gallery page
def test_the_gallery_shows_comments_with_times_in_the_viewers_language(app, journey):
    data = study_data("demo", "public-demo", visibility=["public"])
    with app.app_context():
        from experiments.definition import parse_study
        install_definition(parse_study(data, source="public-demo"))
        db.session.commit()
    enter_with_suggestions(app, "public-demo", 4, "en", posted_minutes_ago=40)
    viewer = journey("public-demo", "?lang=de")
    viewer.consent()
    page = viewer.get("/gallery").get_data(as_text=True)
    assert "Öffentliche Galerie" in page
    assert page.count("Veröffentlicht vor 40 Minuten") == 4
    stamps = [int(m) for m in re.findall(r"· vor (\d+) Minuten?", page)]
    assert len(stamps) == 12 and all(0 < m <= 40 for m in stamps)  # three comments under each of four posts
    assert len(set(stamps)) > 3  # not all at the same moment
