"""Fifty people entering at the same moment never over-fill a cell."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select

from builders import demo_as
from webapp.extensions import db
from webapp.models import Participant

ENTRANTS = 50
PER_CELL = 10


def enter(base_url: str, barrier: threading.Barrier, outcomes: list, index: int) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/s/race?PROLIFIC_PID=racer{index:03d}", timeout=60).read().decode()
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page))
    body = urllib.parse.urlencode({"csrf_token": fields["csrf_token"], "nonce": fields["nonce"], "agree": "yes"}).encode()
    barrier.wait()  # everyone posts their consent at once
    try:
        response = opener.open(f"{base_url}/s/race", data=body, timeout=60)
        text = response.read().decode()
        outcomes.append("full" if "This study is full" in text else "entered")
    except urllib.error.HTTPError as error:
        outcomes.append(f"http {error.code}")


@pytest.mark.slow  # load: fifty entrants at once through a real server
def test_concurrent_entries_fill_each_cell_exactly_to_its_target(app, live_server):
    demo_as(app, "race", target_n_per_cell=PER_CELL)
    barrier = threading.Barrier(ENTRANTS)
    outcomes: list[str] = []
    threads = [threading.Thread(target=enter, args=(live_server.url, barrier, outcomes, i)) for i in range(ENTRANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert Counter(outcomes) == {"entered": 2 * PER_CELL, "full": ENTRANTS - 2 * PER_CELL}, Counter(outcomes)
    with app.app_context():
        cells = dict(db.session.execute(
            select(Participant.visibility, func.count()).group_by(Participant.visibility)).all())
        distinct_pids = db.session.scalar(select(func.count(func.distinct(Participant.recruit_id_hash))))
    assert cells == {"public": PER_CELL, "private": PER_CELL}
    assert distinct_pids == 2 * PER_CELL
