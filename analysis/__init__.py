"""Moderation analysis of exported study data (H1 and H2), PROCESS Model 1 style.

The package reads exported CSV files only; it never touches the web app's database
or imports its modules, so an analyst can rerun everything from the files alone.
"""

from analysis.load import InputError, StudyData, read_participants, read_suggestions
from analysis.models import ModerationResult, fit_h1, fit_h2, fit_moderation

__all__ = [
    "InputError",
    "ModerationResult",
    "StudyData",
    "fit_h1",
    "fit_h2",
    "fit_moderation",
    "read_participants",
    "read_suggestions",
]
