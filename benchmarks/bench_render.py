"""How long a shirt preview takes, against a bare Pillow baseline, on this machine.

Run:  .venv/bin/python benchmarks/bench_render.py [--designs 30] [--repeats 5]

What the figures mean
- cold start: the very first preview in a fresh process (every part cache empty), and
  the time to warm the part caches for all benchmark designs.
- uncached: render + PNG-encode a preview whose bytes are in no cache. `render.py` keeps
  no final-image cache of its own, so every `render_png` call composes and encodes from
  scratch; the per-part caches (masks, shading, patterns, buttons) are warm, as they are
  in a server that has been running for a while.
- uncached, new parts: designs never seen before in this process after warming on other
  random designs, so some part combinations still have to be built (tail latency).
- cached: what a server pays to serve a preview it has already encoded: a lookup of the
  bytes in `render.PreviewCache` keyed by the design digest.
- baseline: Pillow alone, with no garment logic — paste `layer_count(design)` precomputed
  full-frame RGBA layers onto a canvas and encode with the same PNG settings. The layers
  are the design's own preview, so the encoder sees the same picture.
- stricter baseline: the same, but each layer cropped to the box the renderer actually
  pastes (the renderer's layers are cropped), so only per-request overhead separates them.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from webapp.domain import render  # noqa: E402
from webapp.domain.catalogue import shirt_catalogue  # noqa: E402
from webapp.domain.design import Design  # noqa: E402


def random_designs(n: int, seed: int) -> list[Design]:
    rng = random.Random(seed)
    catalogue = shirt_catalogue()
    designs = []
    for _ in range(n):
        choices = {a.key: rng.choice(a.level_keys) for a in catalogue.attributes}
        monogram = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(rng.choice((0, 0, 2, 3))))
        designs.append(Design.build(choices, monogram))
    return designs


def ms(seconds: float) -> float:
    return seconds * 1000.0


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def baseline_layers(design: Design, size: str) -> list[Image.Image]:
    picture = render.render_image(design, size).convert("RGBA")
    return [picture.copy() for _ in range(render.layer_count(design, size))]


def tight_layers(design: Design, size: str) -> list[tuple[Image.Image, tuple[int, int]]]:
    """The same number of layers, each cut to the box the renderer really pastes."""
    picture = render.render_image(design, size).convert("RGBA")
    boxes = [(0, 0, *render.SIZES[size])] + [box for _, box, _ in render.plan(design, size)]
    return [(picture.crop(box), box[:2]) for box in boxes]


def baseline(layers: list[Image.Image], size: str) -> bytes:
    canvas = Image.new("RGB", render.SIZES[size], (235, 233, 229))
    for layer in layers:
        canvas.paste(layer, (0, 0), layer)
    buf = io.BytesIO()
    canvas.save(buf, "PNG", **render.PNG_OPTIONS)
    return buf.getvalue()


def tight_baseline(layers: list[tuple[Image.Image, tuple[int, int]]], size: str) -> bytes:
    canvas = Image.new("RGB", render.SIZES[size], (235, 233, 229))
    for layer, at in layers:
        canvas.paste(layer, at, layer)
    buf = io.BytesIO()
    canvas.save(buf, "PNG", **render.PNG_OPTIONS)
    return buf.getvalue()


def encode_only(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **render.PNG_OPTIONS)
    return buf.getvalue()


def median_ms(samples: list[float]) -> float:
    return ms(statistics.median(samples))


def bench_size(size: str, designs: list[Design], repeats: int) -> None:
    print(f"\n== {size} {render.SIZES[size][0]}x{render.SIZES[size][1]} ==")
    render.clear_part_caches()
    first = timed(render.render_png, designs[0], size)
    warm_all = timed(lambda: [render.render_png(d, size) for d in designs])
    print(f"cold start, first preview:           {ms(first):8.1f} ms")
    print(f"warming parts for {len(designs)} designs:       {ms(warm_all):8.1f} ms")

    uncached, base, tight, encode = [], [], [], []
    layers = {d: baseline_layers(d, size) for d in designs}
    tight_sets = {d: tight_layers(d, size) for d in designs}
    pictures = {d: render.render_image(d, size) for d in designs}
    for _ in range(repeats):
        for d in designs:
            uncached.append(timed(render.render_png, d, size))
            base.append(timed(baseline, layers[d], size))
            tight.append(timed(tight_baseline, tight_sets[d], size))
            encode.append(timed(encode_only, pictures[d]))

    cache = render.PreviewCache(maxsize=len(designs))
    for d in designs:
        cache.get_or_render(d, size)
    hits = []
    for _ in range(repeats):
        for d in designs:
            t = time.perf_counter()
            data = cache.get(d.digest(), size)
            hits.append(time.perf_counter() - t)
            assert data is not None

    counts = [render.layer_count(d, size) for d in designs]
    ratio = statistics.median(uncached) / statistics.median(base)
    print(f"layers per design (median, range):   {statistics.median(counts):8.0f}   ({min(counts)}–{max(counts)})")
    print(f"uncached render+encode (parts warm): {median_ms(uncached):8.1f} ms")
    print(f"  of which PNG encoding alone:       {median_ms(encode):8.1f} ms")
    print(f"cached (PreviewCache hit):           {median_ms(hits):8.4f} ms")
    print(f"bare Pillow baseline:                {median_ms(base):8.1f} ms")
    print(f"ratio uncached / baseline:           {ratio:8.2f}x   (target <= 2.00x)")
    tight_ratio = statistics.median(uncached) / statistics.median(tight)
    print(f"stricter baseline, same layer boxes: {median_ms(tight):8.1f} ms   ratio {tight_ratio:.2f}x")
    if size == "thumb":
        jpeg = [timed(render.render_jpeg, d, size) for d in designs]
        print(f"uncached thumb as JPEG q85:          {median_ms(jpeg):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    designs = random_designs(args.designs, seed=1)
    warmup = random_designs(200, seed=2)
    fresh = random_designs(args.designs, seed=3)
    print(f"{args.designs} random designs x {args.repeats} repeats; medians over all samples")
    bench_size("full", designs, args.repeats)
    for d in warmup:
        render.render_png(d, "full")
    print("-- after warming parts on 200 other random designs --")
    new_parts = [timed(render.render_png, d, "full") for d in fresh]
    print(f"full, designs with possibly unseen parts: median {median_ms(new_parts):.1f} ms, "
          f"max {ms(max(new_parts)):.1f} ms")
    bench_size("thumb", designs, args.repeats)


if __name__ == "__main__":
    main()
