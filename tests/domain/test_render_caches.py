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
