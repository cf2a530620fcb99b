"""The participant's journey: consent → questionnaires → design → suggestions → revise → ratings.

The server keeps each participant's step; a URL for any other step redirects there, so
reloads, back buttons and typed URLs can never skip or repeat a step. Every POST locks
the participant row first, so a double-clicked submit is processed once.

One module per part of the journey, all on one blueprint (`blueprint.bp`): `context` (loading
and the step guard), `entering` (entry, consent, end, withdrawal), `questionnaires`, `designing`
(the editor), `peers` (reviews and suggestions) and `pages` (the one route for every declared step).
"""

from __future__ import annotations

from . import designing, entering, pages, peers, questionnaires  # noqa: F401  (their routes register on bp)
from .blueprint import bp
from .context import get_study, remember, see_other, session_participant, step_url

__all__ = ["bp", "get_study", "remember", "see_other", "session_participant", "step_url"]
