"""What happens to a participant: entering, moving through steps, designing, finishing.

Views call these functions inside a request; each function changes state *and* appends
the matching event to the log in the same database transaction (the caller commits).
One module per part of the journey; this package is the one name views and services use.
"""

from __future__ import annotations

from ..privacy import pseudonym  # re-exported: the one keyed hash
from .deadlines import extend_time, has_extended_time, time_out, time_remaining
from .designing import change_design, decide, remember_design, submit_final_design, submit_initial_design
from .entering import OCCUPYING, Entry, enter, expire_overdue, is_full, occupied_counts
from .progress import advance, finish
from .questionnaires import SCORERS, save_answers, scorer
from .reviewing import review_target, submit_review
from .state import current_design, record, stored_design
from .suggestions import assign_suggestions, peer_wait_remaining, recent_arrivals, suggesters
from .withdrawal import withdraw

__all__ = [
    "OCCUPYING", "SCORERS", "Entry", "advance", "assign_suggestions", "change_design", "current_design", "decide",
    "enter", "expire_overdue", "extend_time", "finish", "has_extended_time", "is_full", "occupied_counts",
    "peer_wait_remaining", "pseudonym", "recent_arrivals", "record", "remember_design", "review_target",
    "save_answers", "scorer", "stored_design", "submit_final_design", "submit_initial_design", "submit_review",
    "suggesters", "time_out", "time_remaining", "withdraw",
]
