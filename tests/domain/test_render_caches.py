"""The renderer's caches are bounded in bytes, and an evicted part comes back identical."""

from __future__ import annotations

import random

from webapp.domain import render, render_layers
from webapp.domain.catalogue import shirt_catalogue
from webapp.domain.design import Design


def _random_designs(n: int, seed: int = 5) -> list[Design]:
    catalogue, rng = shirt_catalogue(), random.Random(seed)
    return [Design.build({a.key: rng.choice(a.level_keys) for a in catalogue.attributes}) for _ in range(n)]


def test_part_cache_stays_within_its_byte_budget_and_rebuilds_evicted_parts_identically():
    parts = render_layers.PARTS
    budget = parts.budget
    design = _random_designs(1)[0]
    try:
        render.clear_part_caches()
        reference = render.render_png(design, "thumb")
        parts.set_budget(2 * 1024 * 1024)
        for other in _random_designs(6):
            render.render_png(other, "thumb")
            assert parts.bytes <= parts.budget or len(parts) == 1
        assert render.render_png(design, "thumb") == reference
    finally:
        parts.set_budget(budget)


def test_preview_cache_evicts_by_bytes_as_well_as_entries():
    cache = render.PreviewCache(maxsize=100, max_bytes=1000)
    for index in range(10):
        cache.put(f"d{index}", b"x" * 300)
    assert cache.bytes <= 1000 and len(cache) == 3
    assert cache.get("d9") is not None and cache.get("d0") is None
    cache.put("huge", b"x" * 5000)  # larger than the whole budget: not kept
    assert cache.get("huge") is None and cache.bytes <= 1000
    cache.put("d9", b"y" * 100)  # replacing an entry counts its new size only
    assert cache.bytes == 700


def _slow_renderer(monkeypatch, seconds: float = 0.05):
    """Replace the PNG renderer with one that sleeps and records how many run at once."""
    import threading
    import time

    state = {"now": 0, "most": 0, "calls": 0}
    lock = threading.Lock()

    def render_png(design, size="full"):
        with lock:
            state["now"] += 1
            state["calls"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(seconds)
        with lock:
            state["now"] -= 1
        return design.digest().encode()

    monkeypatch.setattr(render, "render_png", render_png)
    return state


def _at_once(work, count: int) -> list:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def test_concurrent_requests_for_one_preview_render_it_once(monkeypatch):
    state = _slow_renderer(monkeypatch)
    cache = render.PreviewCache(maxsize=10, max_bytes=10**6, max_concurrent_renders=4)
    design = _random_designs(1)[0]
    results = _at_once(lambda _i: cache.get_or_render(design), 8)
    assert state["calls"] == 1 and cache.renders == 1
    assert set(results) == {design.digest().encode()}


def test_a_process_renders_at_most_the_configured_number_of_previews_at_once(monkeypatch):
    state = _slow_renderer(monkeypatch)
    cache = render.PreviewCache(maxsize=20, max_bytes=10**6, max_concurrent_renders=2)
    designs = _random_designs(8, seed=9)
    results = _at_once(lambda i: cache.get_or_render(designs[i]), 8)
    assert state["calls"] == len({d.digest() for d in designs})
    assert state["most"] == 2  # bounded, and the bound is used
    assert results == [d.digest().encode() for d in designs]


def test_a_failed_render_lets_the_next_request_try_again(monkeypatch):
    cache = render.PreviewCache(maxsize=10, max_bytes=10**6)
    design = _random_designs(1)[0]

    def broken(design, size="full"):
        raise OSError("disk gone")

    monkeypatch.setattr(render, "render_png", broken)
    try:
        cache.get_or_render(design)
    except OSError:
        pass
    monkeypatch.setattr(render, "render_png", lambda design, size="full": b"ok")
    assert cache.get_or_render(design) == b"ok"
