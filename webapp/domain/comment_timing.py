"""When comments under a public post seem to have come: one by one, minutes apart, in no fixed order.

The gallery shows each shirt's suggestions as comments. Listed in the catalogue's order and
without times, every post reads the same (collar first, then cuffs...). Here each post gets
its own seeded order and human-looking gaps (log-normal, a minute or two typical), squeezed
into the time since the post when that is shorter, so no comment seems older than the post
or newer than now. Cover story only: nothing here is data.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

FIRST_MEDIAN_SECONDS = 60.0  # typical time until the first comment
GAP_MEDIAN_SECONDS = 100.0  # typical time between comments
SPREAD = 0.8  # sigma of the log-normal gaps: some come quickly, some after a while


def comment_times(n: int, posted_at: datetime, now: datetime, rng: random.Random) -> list[tuple[int, datetime]]:
    """(index of the comment, when it seems to have come) for n comments, oldest first."""
    if n <= 0:
        return []
    order = list(range(n))
    rng.shuffle(order)
    gaps = [rng.lognormvariate(math.log(FIRST_MEDIAN_SECONDS), SPREAD)]
    gaps += [rng.lognormvariate(math.log(GAP_MEDIAN_SECONDS), SPREAD) for _ in range(n - 1)]
    offsets, total = [], 0.0
    for gap in gaps:
        total += gap
        offsets.append(total)
    elapsed = max(0.0, (now - posted_at).total_seconds())
    if offsets[-1] > elapsed:  # a recent post: the same rhythm, faster
        offsets = [o * elapsed / offsets[-1] for o in offsets]
    return [(index, posted_at + timedelta(seconds=offset)) for index, offset in zip(order, offsets)]
