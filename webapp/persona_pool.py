"""Who the scripted suggestions seem to come from: names and avatars drawn per design from a pool.

A study's personas are slots (their keys go to the export and the closeness questions); the
name and avatar shown for each slot are drawn for each participant from a pool, so a public
gallery does not show the same few commenters under every shirt. The pool is the study
file's `[persona_pool]` for the participant's language when it sets one; otherwise the
study's own persona names plus the built-in pool (webapp.domain.personas). The draw is
seeded by the study and participant seeds, so a participant sees the same names on every
page and a rerun draws the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from .domain.personas import DEFAULT_POOL, DEFAULT_POOLS, default_pool
from .domain.suggestions import seeded_rng

__all__ = ["DEFAULT_POOL", "draw_names", "pool_for"]


def pool_for(personas: Sequence, study_pool: Sequence[tuple[str, str]] = (),
             language: str | None = None) -> list[tuple[str, str]]:
    """The study's pool when it sets one; else its own (name, avatar) pairs, then the built-in pool; each name once."""
    if study_pool:
        candidates = list(study_pool)
    elif language in DEFAULT_POOLS:  # a language with names of its own: the study's English names would stand out
        candidates = list(DEFAULT_POOLS[language])
    else:
        candidates = [(p.name, p.avatar) for p in personas] + list(default_pool(language))
    seen, pool = set(), []
    for name, avatar in candidates:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            pool.append((name, avatar))
    return pool


def draw_names(personas: Sequence, study_seed: int, participant_seed: int, study_pool: Sequence[tuple[str, str]] = (),
               language: str | None = None) -> dict[str, tuple[str, str]]:
    """Persona key -> (name, avatar) for one participant: distinct names, drawn from pool_for(...)."""
    keys = sorted(p.key for p in personas)
    pool = pool_for(personas, study_pool, language)
    rng = seeded_rng(study_seed, participant_seed, "persona-names")
    drawn = rng.sample(pool, len(keys)) if len(pool) >= len(keys) else pool
    return dict(zip(keys, drawn))
