"""How long a participant waits for other participants' suggestions: only as long as a peer could plausibly come.

A peer's suggestion comes from someone who enters the same cell later and reviews this
design. At low traffic nobody may come within the study's longest wait
(`peer_wait_seconds`), so making everyone sit through all of it only delays them. The wait is
planned once, when the suggestions step begins, from the rate of the last entries into the
cell (a Poisson estimate that counts the open gap since the last entry, so a quiet hour
lowers it); the plan never grows afterwards, so "ready in at most N seconds" stays true.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WINDOW = 10  # the last N entries into the cell estimate the arrival rate
HORIZON_SECONDS = 3600  # entries older than this say nothing about the traffic now
PLAUSIBLE = 0.5  # wait at all only if a peer comes within the longest wait with at least this chance
COVER = 0.8  # then wait until the first peer has come with this chance (plus a mean gap per further peer)


@dataclass(frozen=True)
class WaitPlan:
    seconds: int  # how long to wait from now; 0 = show the (scripted) suggestions at once
    rate_per_minute: float  # the estimated entries per minute into the cell
    reason: str  # none_needed | time_used | no_traffic | unlikely | expected | longest


def plan_wait(arrivals: Sequence[datetime], now: datetime, longest_seconds: float, needed: int) -> WaitPlan:
    """The wait for `needed` peers, given when the cell's entrants (this participant included) consented.

    No other recent entrant: no wait. Otherwise the rate is (k - 1) entries over the time from
    the oldest of the last k entries until now. If a peer is unlikely to come within the longest
    wait (chance below PLAUSIBLE), nobody waits; else the wait covers the first peer with chance
    COVER plus one mean gap per further peer wanted, and never exceeds the longest wait.
    """
    if needed <= 0:
        return WaitPlan(0, 0.0, "none_needed")
    if longest_seconds <= 0:  # the review step used up the longest wait already
        return WaitPlan(0, 0.0, "time_used")
    recent = sorted(a for a in arrivals if 0 <= (now - a).total_seconds() <= HORIZON_SECONDS)[-WINDOW:]
    if len(recent) < 2:
        return WaitPlan(0, 0.0, "no_traffic")
    span = max(1.0, (now - recent[0]).total_seconds())
    rate = (len(recent) - 1) / span  # entries per second
    per_minute = round(rate * 60, 3)
    if 1 - math.exp(-rate * longest_seconds) < PLAUSIBLE:
        return WaitPlan(0, per_minute, "unlikely")
    wanted = (-math.log(1 - COVER) + (needed - 1)) / rate
    if wanted >= longest_seconds:
        return WaitPlan(int(longest_seconds), per_minute, "longest")
    return WaitPlan(math.ceil(wanted), per_minute, "expected")
