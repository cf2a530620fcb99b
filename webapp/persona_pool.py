"""Who the scripted suggestions seem to come from: names and avatars drawn per design from a pool.

A study's personas are slots (their keys go to the export and the closeness questions); the
name and avatar shown for each slot are drawn for each participant from the study's own
personas of that relation plus a default pool, so a public gallery does not show the same
few commenters under every shirt. The draw is seeded by the study and participant seeds,
so a participant sees the same names on every page and a rerun draws the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from .domain.suggestions import seeded_rng

# Short given names read the same in many languages; avatars are the CSS classes avatar-<kind>.
DEFAULT_POOL: tuple[tuple[str, str], ...] = (
    ("Alex", "fox"), ("Sam", "owl"), ("Robin", "bear"), ("Kim", "otter"), ("Noa", "heron"), ("Mika", "lynx"),
    ("Jo", "wren"), ("Eli", "seal"), ("Ari", "hare"), ("Lou", "finch"), ("Nico", "badger"), ("Remi", "deer"),
    ("Sasha", "fox"), ("Yuki", "owl"), ("Dani", "bear"), ("Toni", "otter"), ("Kai", "heron"), ("Lee", "lynx"),
)


def pool_for(personas: Sequence) -> list[tuple[str, str]]:
    """The study's own (name, avatar) pairs first, then the default pool; each name once."""
    seen, pool = set(), []
    for name, avatar in [(p.name, p.avatar) for p in personas] + list(DEFAULT_POOL):
        if name.casefold() not in seen:
            seen.add(name.casefold())
            pool.append((name, avatar))
    return pool


def draw_names(personas: Sequence, study_seed: int, participant_seed: int) -> dict[str, tuple[str, str]]:
    """Persona key -> (name, avatar) for one participant: distinct names, drawn from pool_for(personas)."""
    keys = sorted(p.key for p in personas)
    pool = pool_for(personas)
    rng = seeded_rng(study_seed, participant_seed, "persona-names")
    drawn = rng.sample(pool, len(keys)) if len(pool) >= len(keys) else pool
    return dict(zip(keys, drawn))
