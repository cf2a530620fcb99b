"""The `[suggestions]` section: which changes the personas propose, by which rule, in which words.

Checked against the study's restricted catalogue, and so that every suggestion fits its column.
"""

from __future__ import annotations

from webapp.domain import columns
from webapp.domain.catalogue import Catalogue

from .parts import DEFAULT_WORDINGS, RULES, SOURCES, SuggestionPlan
from .reader import _Parsing, _Reader, show


def _wording_ok(wording: str) -> bool:
    """A suggestion wording must format with only {suggestion} (other braces would crash the page)."""
    try:
        return "{suggestion}" in wording and bool(wording.format(suggestion="x"))
    except (KeyError, IndexError, ValueError, AttributeError):
        return False


def _suggestions_section(p: _Parsing) -> None:
    r, restricted = p.r, p.catalogue
    assert restricted is not None  # _catalogue_section runs first
    sug = r.table(p.data, "suggestions", "")
    if "reviews_per_participant" in sug:
        r.fail("suggestions.reviews_per_participant",
               "is not supported: each participant reviews exactly one earlier design; remove this key")
    r.keys({k: v for k, v in sug.items() if k != "reviews_per_participant"}, "suggestions",
           ("count", "attributes", "rule", "preferred", "text", "texts", "source", "peer_wait_seconds",
            "peer_share", "comment_max_length"))
    count = r.get(sug, "count", "suggestions", int, 3, low=1, high=10)
    attributes = _suggested_attributes(r, sug, restricted, count)
    rule = r.get(sug, "rule", "suggestions", str, "random", allowed=RULES)
    preferred = _preferred_levels(r, sug, restricted, rule, attributes)
    wordings = _suggestion_wordings(r, sug)
    texts = _attribute_wordings(r, sug, restricted)
    _check_suggestion_length(r, restricted, attributes, wordings, texts)
    source_kind = r.get(sug, "source", "suggestions", str, "scripted", allowed=SOURCES)
    wait = r.get(sug, "peer_wait_seconds", "suggestions", int, 0, low=0, high=3600)
    share = r.get(sug, "peer_share", "suggestions", float, 1.0 if source_kind == "peer" else 0.0, low=0, high=1)
    comment_max = r.get(sug, "comment_max_length", "suggestions", int, 200, low=0, high=columns.COMMENT)
    p.fields["suggestions"] = SuggestionPlan(
        count, tuple(attributes or ()), rule, preferred, wordings, dict(texts), source_kind, wait,
        float(share if share is not None else 0.0), comment_max)  # None only with a problem reported


def _suggested_attributes(r: _Reader, sug: dict, restricted: Catalogue, count: int | None) -> list[str] | None:
    attributes = r.text_list(sug, "attributes", "suggestions", list(restricted.keys), max_length=30)
    for a in attributes or []:
        if a not in restricted:
            r.fail("suggestions.attributes", f"{show(a)} is not offered; allowed: {', '.join(restricted.keys)}")
        elif len(restricted.attribute(a).levels) < 2:
            r.fail("suggestions.attributes", f"{a!r} has a single level in this study, so nothing can be suggested")
    if attributes is not None and count is not None and len(set(attributes)) < count:
        r.fail("suggestions.count",
               f"{count} suggestions need at least {count} distinct attributes, got {len(set(attributes))}")
    return attributes


def _preferred_levels(r: _Reader, sug: dict, restricted: Catalogue, rule: str | None,
                      attributes: list[str] | None) -> dict[str, tuple[str, ...]]:
    """`[suggestions.preferred]`: the levels rule 'preferred' proposes, per attribute."""
    preferred_raw = r.table(sug, "preferred", "suggestions")
    preferred = {}
    for a in preferred_raw:
        lv = r.text_list(preferred_raw, a, "suggestions.preferred", max_length=30)
        if a not in restricted:
            r.fail(f"suggestions.preferred.{a}", f"unknown attribute; allowed: {', '.join(restricted.keys)}")
            continue
        if lv is None:
            continue
        bad = [x for x in lv if x not in restricted.attribute(a).level_keys]
        if bad:
            r.fail(f"suggestions.preferred.{a}",
                   f"unknown level(s) {show(bad)}; allowed: {', '.join(restricted.attribute(a).level_keys)}")
        preferred[a] = tuple(lv)
    if rule == "preferred":
        for a in attributes or []:
            if a not in preferred:
                r.fail(f"suggestions.preferred.{a}",
                       "rule 'preferred' needs a list of levels for every suggested attribute")
    return preferred


def _suggestion_wordings(r: _Reader, sug: dict) -> tuple[str, ...]:
    text = r.get(sug, "text", "suggestions", (str, list), list(DEFAULT_WORDINGS))
    wordings = tuple([text] if isinstance(text, str) else (text or []))
    if not wordings or not all(isinstance(w, str) and _wording_ok(w) for w in wordings):
        r.fail("suggestions.text", "must be a text, or a list of texts, each containing {suggestion} "
                                   "where the proposed change goes (and no other braces)")
        wordings = ()
    return wordings


def _attribute_wordings(r: _Reader, sug: dict, restricted: Catalogue) -> dict[str, str]:
    """`[suggestions.texts]`: a wording of its own for an attribute's suggestions."""
    texts_raw = r.table(sug, "texts", "suggestions")
    texts = {}
    for a, t in texts_raw.items():
        where = f"suggestions.texts.{a}"
        if a not in restricted:
            r.fail(where, f"unknown attribute; allowed: {', '.join(restricted.keys)}")
        elif r.check_type(where, t, (str,)):
            if _wording_ok(t):
                texts[a] = t
            else:
                r.fail(where, "must contain {suggestion} where the proposed change goes (and no other braces)")
    return texts


def _check_suggestion_length(r: _Reader, restricted: Catalogue, attributes: list[str] | None,
                             wordings: tuple[str, ...], texts: dict[str, str]) -> None:
    """Every suggestion the study could make must fit its database column."""
    longest = 0
    for a in attributes or []:
        if a in restricted:
            spec = restricted.attribute(a)
            for template in ([texts[a]] if a in texts else list(wordings)):
                for level in spec.level_keys:
                    longest = max(longest, len(template.format(suggestion=spec.describe(level))))
    if longest > columns.SUGGESTION_TEXT:
        r.fail("suggestions.text", f"a suggestion would be {longest} characters long; at most "
                                   f"{columns.SUGGESTION_TEXT} fit (shorten the wording)")
