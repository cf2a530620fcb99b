"""Scripted peer suggestions: which attributes, which levels, in whose words.

Generation is a pure function of the study seed, the participant's seed and the initial
design, so a reload or a re-run of the export reproduces exactly the same suggestions.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .catalogue import Catalogue
from .design import Design


@dataclass(frozen=True)
class ProposedSuggestion:
    position: int
    attribute: str
    initial_level: str
    suggested_level: str
    text: str
    persona_key: str


def seeded_rng(study_seed: int, participant_seed: int, purpose: str) -> random.Random:
    """One independent, reproducible random stream per participant and purpose."""
    return random.Random(f"{study_seed}:{participant_seed}:{purpose}")


def choose_level(attribute_levels: Sequence[str], initial: str, rule: str, rng: random.Random,
                 preferred: Sequence[str] = ()) -> str:
    """A level different from the initial one, chosen by the study's rule."""
    others = [lv for lv in attribute_levels if lv != initial]
    if not others:
        raise ValueError("an attribute with a single level cannot be suggested")
    if rule == "adjacent":
        index = list(attribute_levels).index(initial) if initial in attribute_levels else -1
        return attribute_levels[(index + 1) % len(attribute_levels)]
    if rule == "preferred":
        for level in preferred:
            if level != initial and level in attribute_levels:
                return level
    return rng.choice(others)


def suggestion_text(template: str, catalogue: Catalogue, attribute: str, level: str,
                    per_attribute: Mapping[str, str] | None = None) -> str:
    phrase = catalogue.attribute(attribute).describe(level)
    template = (per_attribute or {}).get(attribute, template)
    return template.format(suggestion=phrase)


def generate_suggestions(
    initial: Design,
    catalogue: Catalogue,
    *,
    count: int,
    attributes: Sequence[str],
    rule: str,
    personas: Sequence[str],
    study_seed: int,
    participant_seed: int,
    template: str | Sequence[str] = "Nice shirt! How about {suggestion}?",
    per_attribute_text: Mapping[str, str] | None = None,
    preferred: Mapping[str, Sequence[str]] | None = None,
) -> list[ProposedSuggestion]:
    """Draw `count` suggestions on distinct attributes, each from a persona in turn.

    With several wordings, each suggestion takes one at random (from a stream of its own,
    so adding wordings to a study never changes which attributes and levels are drawn).
    """
    rng = seeded_rng(study_seed, participant_seed, "suggestions")
    wording_rng = seeded_rng(study_seed, participant_seed, "wording")
    wordings = [template] if isinstance(template, str) else list(template)
    usable = [a for a in attributes if a in catalogue and len(catalogue.attribute(a).levels) > 1]
    if len(usable) < count:
        raise ValueError(f"{count} suggestions need {count} suggestible attributes, have {len(usable)}")
    chosen = rng.sample(usable, count)
    chosen.sort(key=lambda key: catalogue.keys.index(key))
    people = list(personas)
    rng.shuffle(people)
    result = []
    for position, attribute in enumerate(chosen):
        levels = catalogue.attribute(attribute).level_keys
        level = choose_level(levels, initial[attribute], rule, rng, (preferred or {}).get(attribute, ()))
        result.append(ProposedSuggestion(
            position=position, attribute=attribute, initial_level=initial[attribute], suggested_level=level,
            text=suggestion_text(wording_rng.choice(wordings), catalogue, attribute, level, per_attribute_text),
            persona_key=people[position % len(people)],
        ))
    return result
