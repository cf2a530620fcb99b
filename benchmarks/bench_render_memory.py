"""Peak memory of rendering many distinct designs, with the part caches bounded and unbounded.

    .venv/bin/python benchmarks/bench_render_memory.py [--designs 300] [--seed 1]

Each configuration runs in its own fresh interpreter (peak RSS is per process). The
"unbounded" baseline gives the caches a budget larger than anything they can fill, which
is what the renderer did before its caches had byte limits.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, random, resource, sys, time
from webapp.domain import render, render_layers as L
from webapp.domain.catalogue import shirt_catalogue
from webapp.domain.design import Design
designs, seed, parts, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if parts:
    L.PARTS.set_budget(parts)
if work:
    L.WORK.set_budget(work)
catalogue, rng = shirt_catalogue(), random.Random(seed)
start = time.perf_counter()
for _ in range(designs):
    design = Design.build({a.key: rng.choice(a.level_keys) for a in catalogue.attributes})
    render.render_png(design, rng.choice(["full", "thumb"]))
print(json.dumps({"seconds": time.perf_counter() - start, "parts_mb": L.PARTS.bytes / 2**20,
                  "work_mb": L.WORK.bytes / 2**20,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(designs: int, seed: int, parts: int, work: int | None = None) -> dict:
    work = parts if work is None else work
    out = subprocess.run([sys.executable, "-c", CHILD, str(designs), str(seed), str(parts), str(work)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--try-mb", default="", help="also try these part-cache budgets (MB), e.g. 48,64,96")
    args = parser.parse_args()
    unbounded = run(args.designs, args.seed, 1 << 40)
    bounded = run(args.designs, args.seed, 0)  # the shipped defaults
    print(f"{args.designs} distinct random designs, full and thumb sizes mixed, seed {args.seed}")
    tried = [(f"parts {mb} MB, work {min(mb, 48) // 2} MB",
              run(args.designs, args.seed, mb * 2**20, min(mb, 48) // 2 * 2**20))
             for mb in (int(v) for v in args.try_mb.split(",") if v)]
    for name, r in (("unbounded caches (baseline)", unbounded), ("bounded caches (defaults)", bounded), *tried):
        print(f"  {name:<28} peak RSS {r['peak_rss_mb']:7.0f} MB   parts {r['parts_mb']:6.1f} MB   "
              f"work {r['work_mb']:6.1f} MB   {r['seconds']:6.1f} s")
    for name, r in (("bounded caches (defaults)", bounded), *tried):
        print(f"  ratio {name} / unbounded: peak RSS {r['peak_rss_mb'] / unbounded['peak_rss_mb']:.2f}, "
              f"time {r['seconds'] / unbounded['seconds']:.2f}")


if __name__ == "__main__":
    main()
