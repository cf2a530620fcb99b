"""Preview images as the server answers them: ``python benchmarks/bench_previews_http.py``.

Times GET /preview/<key>.png through Flask's test client (routing, access check, database look-up of
the design, rendering, headers): an uncached preview (a design never requested before in
this process, part caches warm), a cached one (the in-memory LRU), and a revalidation
(If-None-Match → 304). In the same run it times the bare Pillow baseline of
bench_render.py (paste the same number of layers, encode with the same settings) and
prints the ratio uncached / baseline. Medians over all samples.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import baseline, baseline_layers, random_designs  # noqa: E402


def median_ms(samples):
    return statistics.median(samples) * 1000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)

    import re

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Participant
    from webapp.previews import preview_key, register

    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"SECRET_KEY": "bench", "PSEUDONYM_KEY": "bench", "SEED_DEMO": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.sqlite3",
                          "INSTANCE_PATH": f"{directory}/instance", "DATABASE_SETUP": "create_all"})
        warm, designs = random_designs(200, seed=1), random_designs(args.designs, seed=2)
        client = app.test_client()  # previews are served to their owner: enter the demo study once
        page = client.get("/s/demo").get_data(as_text=True)
        hidden = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page))
        client.post("/s/demo", data={"csrf_token": hidden["csrf_token"], "nonce": hidden["nonce"], "agree": "yes"})
        with app.app_context():
            owner = db.session.execute(db.select(Participant)).scalar_one()
            owner_id = owner.id
            for design in warm + designs:
                register(owner, design)
            db.session.commit()
            urls = {design: f"/preview/{preview_key(owner_id, design)}.png" for design in warm + designs}
        for design in warm:  # warm the renderer's part caches as a running server would have them
            client.get(urls[design])

        uncached, cached, revalidated, base = [], [], [], []
        for design in designs:
            url = urls[design]
            t = time.perf_counter()
            response = client.get(url)
            uncached.append(time.perf_counter() - t)
            assert response.status_code == 200
            etag = response.headers["ETag"]
            layers = baseline_layers(design, "full")
            t = time.perf_counter()
            baseline(layers, "full")
            base.append(time.perf_counter() - t)
            for _ in range(args.repeats):
                t = time.perf_counter()
                client.get(url)
                cached.append(time.perf_counter() - t)
                t = time.perf_counter()
                client.get(url, headers={"If-None-Match": etag})
                revalidated.append(time.perf_counter() - t)

    print(f"{args.designs} designs; cached and 304 figures over {args.designs * args.repeats} requests each")
    print(f"uncached preview, server time (test client):   {median_ms(uncached):8.2f} ms")
    print(f"bare Pillow baseline (same layers, same PNG):  {median_ms(base):8.2f} ms")
    ratio = median_ms(uncached) / median_ms(base)
    print(f"ratio uncached / baseline:                     {ratio:8.2f}x  (target <= 2x)")
    print(f"cached preview, server time (test client):     {median_ms(cached):8.3f} ms  (target <= 1 ms)")
    print(f"revalidation (If-None-Match -> 304):           {median_ms(revalidated):8.3f} ms")


if __name__ == "__main__":
    main()
