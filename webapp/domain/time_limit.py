"""The study's time limit as a participant meets it: when to warn, and how much more time one request gives.

WCAG 2.2.1 (Timing Adjustable) asks that people are warned before a time limit ends and
can extend it. The warning comes when two minutes are left, or a fifth of the limit if that
is shorter (a five-minute study would otherwise warn for 40 % of its time). The participant
may ask once for more time: by default half the original limit, at least five minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WARNING_SECONDS = 120
WARNING_SHARE = 0.2
MIN_EXTENSION_MINUTES = 5


def warning_seconds(limit_minutes: int) -> int:
    """Seconds before the deadline at which the warning appears."""
    return int(min(WARNING_SECONDS, WARNING_SHARE * limit_minutes * 60))


def default_extension_minutes(limit_minutes: int) -> int:
    """Half the original limit, at least MIN_EXTENSION_MINUTES."""
    return max(MIN_EXTENSION_MINUTES, round(limit_minutes / 2))


def extension_minutes(limit_minutes: int, configured: int | None) -> int:
    """The study's `[study] time_extension_minutes`, or the default for its limit."""
    return configured if configured is not None else default_extension_minutes(limit_minutes)


@dataclass(frozen=True)
class TimeLeft:
    """What a step page says about the deadline: seconds left, whether to warn, whether more time may be asked."""
    seconds: int
    warn_at: int
    extension_minutes: int
    can_extend: bool

    @property
    def warning_due(self) -> bool:
        return self.seconds <= self.warn_at


def time_left(deadline: datetime, now: datetime, limit_minutes: int, configured_extension: int | None,
              already_extended: bool) -> TimeLeft:
    seconds = max(0, int((deadline - now) / timedelta(seconds=1)))
    return TimeLeft(seconds=seconds, warn_at=warning_seconds(limit_minutes),
                    extension_minutes=extension_minutes(limit_minutes, configured_extension),
                    can_extend=not already_extended)
