"""The people a participant meets: `[personas]`, the cells of `[factors]` and the `[persona_pool]`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from webapp.domain import columns
from webapp.domain.personas import AVATARS

from .localisation import LANGUAGES
from .parts import VISIBILITIES, Cell, Persona
from .reader import NAME_RE, _entries, _Parsing, _Reader, show

AVATAR_RE = re.compile(r"^[a-z0-9-]+$")


def _personas_section(p: _Parsing) -> None:
    """The personas per relation; a persona key is unique across relations."""
    r = p.r
    personas: dict[str, tuple[Persona, ...]] = {}
    raw_personas = r.table(p.data, "personas", "")
    if not raw_personas and isinstance(p.data.get("personas", {}), dict):
        r.fail("personas", "needs at least one relation, e.g. [[personas.friend]]")
    persona_keys: set[str] = set()
    for relation in raw_personas:
        if not (NAME_RE.match(relation) and len(relation) <= columns.RELATION):
            r.fail(f"personas.{relation}", f"relation {show(relation)} must be at most {columns.RELATION} characters, "
                                           "start with a-z and use only a-z, 0-9 and '_' (it appears in web addresses)")
            continue
        people = [_persona(r, here, entry, relation, persona_keys)
                  for here, entry in _entries(r, raw_personas, relation, "personas",
                                              ("key", "name", "avatar", "relation_label"))]
        if people:
            personas[relation] = tuple(people)
    p.fields["personas"] = personas


def _persona(r: _Reader, here: str, entry: dict, relation: str, persona_keys: set[str]) -> Persona:
    key = r.name(entry, "key", here, columns.PERSONA_KEY)
    if key is not None and key in persona_keys:
        r.fail(f"{here}.key", f"duplicate persona key {key!r}")
    persona_keys.add(key or "")
    avatar = r.get(entry, "avatar", here, str, "circle", max_length=columns.PERSONA_AVATAR)
    if avatar and not AVATAR_RE.match(avatar):
        r.fail(f"{here}.avatar", f"{show(avatar)} may use only a-z, 0-9 and '-'")
    return Persona(key or "", r.get(entry, "name", here, str, max_length=columns.PERSONA_NAME) or "",
                   avatar or "circle",
                   r.get(entry, "relation_label", here, str, relation, max_length=columns.RELATION_LABEL) or relation)


def _factors_section(p: _Parsing) -> None:
    """The cells: every visibility crossed with every relation that has personas."""
    r, personas = p.r, p.fields["personas"]
    factors = r.table(p.data, "factors", "", ("visibility", "relation", "target_n_per_cell"))
    visibilities = r.text_list(factors, "visibility", "factors", list(VISIBILITIES), max_length=10) or []
    for v in visibilities:
        if v not in VISIBILITIES:
            r.fail("factors.visibility", f"{show(v)} is not allowed; choose from {', '.join(VISIBILITIES)}")
    relations = r.text_list(factors, "relation", "factors", list(personas)[:1], max_length=columns.RELATION) or []
    for rel in relations:
        if rel not in personas:
            r.fail("factors.relation", f"{show(rel)} has no personas; defined: {', '.join(personas) or 'none'}")
    target = r.get(factors, "target_n_per_cell", "factors", int, 50, low=1, high=100000)
    cells = tuple(Cell(v, rel, target or 50) for v in dict.fromkeys(visibilities) if v in VISIBILITIES
                  for rel in dict.fromkeys(relations) if rel in personas)
    if not cells:
        r.fail("factors", "no cells: give at least one visibility and one relation")
    p.fields["cells"] = cells


def _persona_pool_section(p: _Parsing) -> None:
    most_per_relation = max((len(ps) for ps in p.fields.get("personas", {}).values()), default=1)
    p.fields["persona_pool"] = _persona_pool(p.r, p.data, p.fields.get("languages", ("en",)), most_per_relation)


def _persona_pool(r: _Reader, data: dict, languages: tuple[str, ...],
                  needed: int) -> dict[str, tuple[tuple[str, str], ...]]:
    """`[persona_pool]`: the names (and avatars) suggestions seem to come from, per language if need be.

    `names` is one list for every language, or a table of lists by language code; `avatars`
    (optional) are handed to the names in turn. Each list needs at least as many distinct
    names as the largest relation has personas (a participant sees each under another name).
    Absent: {} (the built-in pool, webapp.domain.personas).
    """
    if "persona_pool" not in data:
        return {}
    raw = r.table(data, "persona_pool", "", ("names", "avatars"))
    avatars = _pool_avatars(r, raw)
    names = raw.get("names")
    if names is None:
        r.fail("persona_pool.names", "is required: a list of names, e.g. names = [\"Alex\", \"Sam\", ...], "
                                     "or one list per language (names.de = [...])")
        return {}
    if isinstance(names, list):  # one list for every language: checked once
        chosen = _pool_names(r, names, "persona_pool.names", needed)
        shared = tuple((name, avatars[n % len(avatars)]) for n, name in enumerate(chosen))
        return {language: shared for language in languages} if shared else {}
    if not isinstance(names, dict):
        r.fail("persona_pool.names", f"must be a list of names or a table of lists by language, got {show(names)}")
        return {}
    lists = _pool_lists_by_language(r, names, languages)
    pool: dict[str, tuple[tuple[str, str], ...]] = {}
    for language, (where, entry) in lists.items():
        chosen = _pool_names(r, entry, where, needed)
        if chosen:
            pool[language] = tuple((name, avatars[n % len(avatars)]) for n, name in enumerate(chosen))
    return pool


def _pool_avatars(r: _Reader, raw: dict) -> tuple[str, ...]:
    """`persona_pool.avatars`: avatars the platform draws, handed to the names in turn (all of them when absent)."""
    avatars = tuple(r.text_list(raw, "avatars", "persona_pool", list(AVATARS), max_length=columns.PERSONA_AVATAR)
                    or AVATARS)
    for avatar in avatars:
        if avatar not in AVATARS:
            near = difflib.get_close_matches(avatar, AVATARS, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail("persona_pool.avatars", f"{show(avatar)} is not an avatar the platform draws; {hint}"
                                           f"known: {', '.join(AVATARS)}")
    return avatars


def _pool_lists_by_language(r: _Reader, names: dict, languages: tuple[str, ...]) -> dict[str, tuple[str, Any]]:
    """`names.<code> = [...]`: language → (where, its raw list), for the study's languages only."""
    lists = {}
    for language, entry in names.items():
        if language not in LANGUAGES:
            near = difflib.get_close_matches(str(language).lower(), LANGUAGES, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}? " if near else ""
            r.fail(f"persona_pool.names.{language}", f"{show(language)} is not a language the platform "
                                                     f"speaks; {hint}known: {', '.join(LANGUAGES)}")
        elif language in languages:  # a list for a language the study does not offer (yet) stays unused
            lists[language] = (f"persona_pool.names.{language}", entry)
    if languages[0] not in lists:
        r.fail("persona_pool.names", f"needs a list for {languages[0]!r}, the study's first language "
                                     "(languages without a list of their own use it)")
    return lists


def _pool_names(r: _Reader, entry: Any, where: str, needed: int) -> list[str]:
    """One language's names: texts, none empty or too long for the suggestion rows, none twice, enough of them."""
    if not isinstance(entry, list):
        r.fail(where, f"must be a list of names, got {show(entry)}")
        return []
    chosen: list[str] = []
    seen: dict[str, int] = {}
    for n, name in enumerate(entry):
        here = f"{where}[{n}]"
        if not r.check_type(here, name, (str,)):
            continue
        name = name.strip()
        if not name:
            r.fail(here, "is empty; give a name or remove the entry")
        elif len(name) > columns.PERSONA_NAME:
            r.fail(here, f"is {len(name)} characters long; at most {columns.PERSONA_NAME} fit")
        elif name.casefold() in seen:
            r.fail(here, f"{show(name)} is listed twice (first at [{seen[name.casefold()]}])")
        else:
            seen[name.casefold()] = n
            chosen.append(name)
    if len(chosen) < needed:
        r.fail(where, f"has {len(chosen)} usable name(s); at least {needed} are needed, one for each persona a "
                      f"participant meets (a dozen or more let the gallery's commenters vary)")
    return chosen
