"""Balanced assignment and the one rule for who sees suggestions."""

import random
from collections import Counter

from webapp.domain.assignment import choose_cell
from webapp.domain.visibility import Viewer, suggestions_visible_to


def test_assignment_fills_cells_evenly():
    targets = {"public/friend": 10, "private/friend": 10}
    occupied = Counter()
    rng = random.Random(1)
    for _ in range(20):
        occupied[choose_cell(targets, occupied, rng)] += 1
    assert occupied == {"public/friend": 10, "private/friend": 10}


def test_assignment_respects_unequal_targets_and_reports_full():
    targets = {"a": 1, "b": 3}
    occupied = Counter()
    rng = random.Random(2)
    for _ in range(4):
        occupied[choose_cell(targets, occupied, rng)] += 1
    assert occupied == {"a": 1, "b": 3}
    assert choose_cell(targets, occupied, rng) is None


def test_owner_sees_own_private_suggestions_and_nobody_else_does():
    owner = Viewer(participant_id=1, study_id=10)
    other = Viewer(participant_id=2, study_id=10)
    assert suggestions_visible_to(owner, 1, 10, "private")
    assert not suggestions_visible_to(other, 1, 10, "private")
    assert not suggestions_visible_to(Viewer(), 1, 10, "private")


def test_public_suggestions_are_seen_within_the_same_study_only():
    assert suggestions_visible_to(Viewer(participant_id=2, study_id=10), 1, 10, "public")
    assert not suggestions_visible_to(Viewer(participant_id=3, study_id=11), 1, 10, "public")
    assert not suggestions_visible_to(Viewer(), 1, 10, "public")


def test_experimenters_see_their_own_studies_only():
    researcher = Viewer(experimenter_study_ids=frozenset({10}))
    assert suggestions_visible_to(researcher, 1, 10, "private")
    assert not suggestions_visible_to(researcher, 1, 11, "public")
