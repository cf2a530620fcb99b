"""Who may see a participant's design and suggestions: one rule, used by every page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    """Whoever asks: a participant of some study, an experimenter with access, or nobody."""

    participant_id: int | None = None
    study_id: int | None = None
    experimenter_study_ids: frozenset[int] = frozenset()


def suggestions_visible_to(viewer: Viewer, owner_id: int, owner_study_id: int, owner_visibility: str) -> bool:
    """The owner always sees their own; public input is seen within the same study only.

    Experimenters see the studies they own or were added to, in either condition.
    Private input is never shown to another participant, whatever the study.
    """
    if owner_study_id in viewer.experimenter_study_ids:
        return True
    if viewer.participant_id is not None and viewer.participant_id == owner_id:
        return True
    return owner_visibility == "public" and viewer.study_id == owner_study_id and viewer.participant_id is not None
