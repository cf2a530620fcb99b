"""The names and avatars suggestions may seem to come from, when a study file sets no pool of its own.

Pure data, so the study-file validator (experiments.definition) and the draw
(webapp.persona_pool) share it. Avatars are the CSS classes `avatar-<kind>` of style.css.
"""

from __future__ import annotations

AVATARS: tuple[str, ...] = ("fox", "owl", "bear", "otter", "heron", "lynx", "wren", "seal", "hare", "finch",
                            "badger", "deer", "circle", "square")

# Short given names that read the same in many languages.
DEFAULT_POOL: tuple[tuple[str, str], ...] = (
    ("Alex", "fox"), ("Sam", "owl"), ("Robin", "bear"), ("Kim", "otter"), ("Noa", "heron"), ("Mika", "lynx"),
    ("Jo", "wren"), ("Eli", "seal"), ("Ari", "hare"), ("Lou", "finch"), ("Nico", "badger"), ("Remi", "deer"),
    ("Sasha", "fox"), ("Yuki", "owl"), ("Dani", "bear"), ("Toni", "otter"), ("Kai", "heron"), ("Lee", "lynx"),
)

# Participants taking a study in Japanese see Japanese given names (in katakana, as people often write them online).
DEFAULT_POOLS: dict[str, tuple[tuple[str, str], ...]] = {
    "ja": (
        ("ユウキ", "fox"), ("ハルカ", "owl"), ("ソウタ", "bear"), ("アオイ", "otter"), ("リン", "heron"),
        ("カイト", "lynx"), ("ミオ", "wren"), ("レン", "seal"), ("ヒナタ", "hare"), ("サクラ", "finch"),
        ("ハルト", "badger"), ("ユイ", "deer"), ("ナツキ", "fox"), ("ケンタ", "owl"), ("マイ", "bear"),
    ),
}


def default_pool(language: str | None) -> tuple[tuple[str, str], ...]:
    """The built-in pool for a language (the general one unless the language has its own)."""
    return DEFAULT_POOLS.get(language or "", DEFAULT_POOL)
