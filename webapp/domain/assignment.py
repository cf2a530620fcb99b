"""Balanced assignment to the cells of a study."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def choose_cell(targets: Mapping[str, int], occupied: Mapping[str, int], rng: random.Random) -> str | None:
    """The least-filled cell (relative to its target); ties drawn at random; None if all are full.

    `occupied` counts participants who completed or are still active, so a timed-out or
    withdrawn participant frees their slot.
    """
    open_cells = [cell for cell, target in targets.items() if occupied.get(cell, 0) < target]
    if not open_cells:
        return None
    fill = {cell: occupied.get(cell, 0) / targets[cell] for cell in open_cells}
    lowest = min(fill.values())
    tied: Sequence[str] = sorted(cell for cell in open_cells if fill[cell] == lowest)
    return rng.choice(tied)
