"""The immutable `StudyDefinition`: what a study shows and how it is scored, in one typed value.

Its own conversions live here with it, because its methods call them and they build definitions:
the JSON form both ways (`to_json`, `_from_stored`) and the copy in another language (`_localize`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from webapp.domain.catalogue import Catalogue, monogram_letters, shirt_catalogue

from .localisation import study_texts
from .parts import (
    Cell,
    Checks,
    ChoiceCheck,
    Demographics,
    Item,
    LikertBlock,
    Outcome,
    Persona,
    Scale,
    SuggestionPlan,
    Wtp,
)
from .reader import show


@dataclass(frozen=True)
class StudyDefinition:
    slug: str
    title: str
    description: str
    seed: int
    time_limit_minutes: int
    consent_text: str
    decline_text: str
    cells: tuple[Cell, ...]
    personas: dict[str, tuple[Persona, ...]]
    suggestions: SuggestionPlan
    flow: tuple[str, ...]
    thinking_style: LikertBlock
    evaluation: LikertBlock
    wtp: Wtp
    closeness_prompt: str
    checks: Checks
    demographics: Demographics
    outcomes: dict[str, Outcome]
    catalogue_exclude: tuple[str, ...] = ()
    catalogue_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    monogram: bool = True
    # Likert blocks of declared questionnaire steps beyond the built-in ones, by step name.
    extra_blocks: dict[str, LikertBlock] = field(default_factory=dict)
    # [monitor] outcome_by_cell: show the outcome (conformity) by cell live in the monitor; off by
    # default, so watching data come in does not invite peeking at the comparison.
    monitor_outcome_by_cell: bool = False
    # The interface languages participants may take the study in; the first is the fallback.
    languages: tuple[str, ...] = ("en",)
    # [recruitment]: the panel's name and the query parameters its links carry; empty = Prolific's (and MTurk's)
    recruitment: dict[str, str] = field(default_factory=dict)
    # [study] time_extension_minutes: the more time a participant may ask for once (WCAG 2.2.1);
    # None = the default for the limit (webapp.domain.time_limit: half the limit, at least 5 minutes)
    time_extension_minutes: int | None = None
    # [persona_pool]: language -> the (name, avatar) pairs suggestions seem to come from; empty = the built-in pool
    persona_pool: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # The study's own translations of its texts, language → {English original: translation}; they take
    # precedence over the shipped tables in experiments/texts (`[translations.de]` in the study file).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def visibilities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.visibility for c in self.cells))

    @property
    def relations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.relation for c in self.cells))

    def catalogue(self) -> Catalogue:
        """The study's catalogue in this definition's language, built once (both are immutable)."""
        if "_catalogue" not in self.__dict__:
            catalogue = (shirt_catalogue().restrict(self.catalogue_exclude, self.catalogue_levels, self.monogram)
                         .with_monogram_letters(monogram_letters(self.languages)))
            say = self.__dict__.get("_say")
            object.__setattr__(self, "_catalogue", catalogue.translated(say) if say else catalogue)
        return self.__dict__["_catalogue"]

    def say(self, text: str) -> str:
        """A study text in this (localized) definition's language; the text itself in the original."""
        say = self.__dict__.get("_say")
        return say(text) if say else text

    def localized(self, language: str | None) -> StudyDefinition:
        """This definition with every participant-facing text in `language` (cached per language).

        Keys, answer values and scoring stay the same, so data from every language pools.
        Texts without a translation stay English; `untranslated(language)` lists them.
        """
        if not language or language == "en" or language not in self.languages:
            return self
        cache = self.__dict__.setdefault("_localized", {})
        if language not in cache:
            cache[language] = _localize(self, language)
        return cache[language]

    def texts(self) -> list[str]:
        """Every participant-facing text of the study (English originals), for translation checks."""
        found: list[str] = []
        _localize(self, "en", found.append)
        return [t for t in dict.fromkeys(found) if t.strip()]

    def untranslated(self, language: str) -> list[str]:
        """The study's texts that would stay English in `language` (neither shipped nor in the study file)."""
        table = self.text_table(language)
        return [t for t in self.texts() if t not in table]

    def pool_in(self, language: str | None) -> tuple[tuple[str, str], ...]:
        """The study's persona pool for a language (its first language's when that one has none); () if unset."""
        if not self.persona_pool:
            return ()
        return self.persona_pool.get(language or "", self.persona_pool.get(self.languages[0], ()))

    def translation_gaps(self) -> str | None:
        """A warning naming the texts that would stay English for some of the study's languages, or None."""
        parts = []
        for language in self.languages:
            missing = self.untranslated(language) if language != "en" else []
            if missing:
                shown = ", ".join(show(t) for t in missing[:3]) + (", …" if len(missing) > 3 else "")
                parts.append(f"{len(missing)} text(s) stay English in {language!r} ({shown}); "
                             f"translate them under [translations.{language}] "
                             f"(or in the instrument file's own [translations.{language}])")
        return "; ".join(parts) or None

    def text_table(self, language: str) -> dict[str, str]:
        """English original → text in `language`: the shipped table, overridden by the study's own."""
        if language == "en":
            return {}
        return {**study_texts(language), **self.translations.get(language, {})}

    def likert_block(self, step: str) -> LikertBlock:
        """The Likert block a questionnaire step asks: a built-in field or a declared extra block."""
        block = getattr(self, step, None)
        return block if isinstance(block, LikertBlock) else self.extra_blocks[step]

    def to_json(self) -> str:
        data = asdict(self)
        if not data["extra_blocks"]:  # absent when unused, so earlier versions keep their fingerprints
            del data["extra_blocks"]
        if not data["monitor_outcome_by_cell"]:  # likewise
            del data["monitor_outcome_by_cell"]
        if not data["recruitment"]:  # absent when the defaults apply, so earlier fingerprints hold
            del data["recruitment"]
        if tuple(data["languages"]) == ("en",):  # absent when English only, so earlier fingerprints hold
            del data["languages"]
        if data["time_extension_minutes"] is None:  # absent when the default applies, likewise
            del data["time_extension_minutes"]
        if not data["persona_pool"]:  # absent when the built-in pool applies, so earlier fingerprints hold
            del data["persona_pool"]
        if not data["translations"]:  # likewise
            del data["translations"]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StudyDefinition:
        """Rebuild a stored version (the database keeps each version as JSON)."""
        return _from_stored(json.loads(text))

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def _localize(d: StudyDefinition, language: str, seen=None) -> StudyDefinition:
    """Rebuild `d` with each text passed through the language's table (`seen` collects the originals)."""
    from dataclasses import replace
    table = d.text_table(language)

    def say(text: str) -> str:
        if seen is not None:
            seen(text)
        return table.get(text, text)

    def scale(x: Scale) -> Scale:
        return replace(x, low=say(x.low), high=say(x.high))

    def block(b: LikertBlock) -> LikertBlock:
        return LikertBlock(say(b.title), say(b.intro), scale(b.scale),
                           tuple(replace(i, text=say(i.text)) for i in b.items))

    ck, dm = d.checks, d.demographics
    out = replace(
        d, title=say(d.title), description=say(d.description), consent_text=say(d.consent_text),
        decline_text=say(d.decline_text),
        personas={r: tuple(replace(p, relation_label=say(p.relation_label)) for p in ps)
                  for r, ps in d.personas.items()},
        suggestions=replace(d.suggestions, text=tuple(say(t) for t in d.suggestions.text),
                            texts={k: say(v) for k, v in d.suggestions.texts.items()}),
        thinking_style=block(d.thinking_style), evaluation=block(d.evaluation),
        extra_blocks={k: block(b) for k, b in d.extra_blocks.items()},
        wtp=replace(d.wtp, text=say(d.wtp.text)), closeness_prompt=say(d.closeness_prompt),
        checks=replace(ck, title=say(ck.title), manipulation_text=say(ck.manipulation_text),
                       manipulation_scale=scale(ck.manipulation_scale),
                       attention=tuple(replace(a, text=say(a.text)) for a in ck.attention)),
        demographics=replace(dm, title=say(dm.title), intro=say(dm.intro), age_text=say(dm.age_text),
                             gender_text=say(dm.gender_text),
                             gender_options=tuple((k, say(label)) for k, label in dm.gender_options)),
    )
    # answer options of attention checks keep their (English) values; their labels are said here
    for a in ck.attention:
        for option in a.options:
            say(option)
    for attribute in d.catalogue().attributes:
        say(attribute.label)
        for level in attribute.levels:
            say(level.label)
            if level.phrase:
                say(level.phrase)
    object.__setattr__(out, "_say", say if language != "en" else None)
    return out


def _from_stored(d: dict) -> StudyDefinition:
    """Inverse of asdict(): trusted input written by to_json()."""
    def likert(b: dict) -> LikertBlock:
        return LikertBlock(b["title"], b["intro"], Scale(**b["scale"]), tuple(Item(**i) for i in b["items"]))
    ck, sug, dm = d["checks"], d["suggestions"], d["demographics"]
    return StudyDefinition(
        slug=d["slug"], title=d["title"], description=d["description"], seed=d["seed"],
        time_limit_minutes=d["time_limit_minutes"], consent_text=d["consent_text"], decline_text=d["decline_text"],
        cells=tuple(Cell(**c) for c in d["cells"]),
        personas={k: tuple(Persona(**p) for p in v) for k, v in d["personas"].items()},
        suggestions=SuggestionPlan(**{**sug, "attributes": tuple(sug["attributes"]),
                                      "text": tuple([sug["text"]] if isinstance(sug["text"], str) else sug["text"]),
                                      "preferred": {k: tuple(v) for k, v in sug["preferred"].items()}}),
        flow=tuple(d["flow"]), thinking_style=likert(d["thinking_style"]), evaluation=likert(d["evaluation"]),
        wtp=Wtp(**d["wtp"]), closeness_prompt=d["closeness_prompt"],
        checks=Checks(ck["title"], ck["manipulation_key"], ck["manipulation_text"], Scale(**ck["manipulation_scale"]),
                      tuple(ChoiceCheck(a["key"], a["text"], tuple(a["options"]), a["expected"])
                            for a in ck["attention"])),
        demographics=Demographics(**{**dm, "gender_options": tuple(tuple(o) for o in dm["gender_options"])}),
        outcomes={k: Outcome(**v) for k, v in d["outcomes"].items()},
        catalogue_exclude=tuple(d["catalogue_exclude"]),
        catalogue_levels={k: tuple(v) for k, v in d["catalogue_levels"].items()},
        monogram=d["monogram"],  # versions stored before review_count was dropped still carry it
        extra_blocks={k: likert(b) for k, b in d.get("extra_blocks", {}).items()},
        monitor_outcome_by_cell=bool(d.get("monitor_outcome_by_cell", False)),
        languages=tuple(d.get("languages", ("en",))),
        recruitment=dict(d.get("recruitment", {})),
        time_extension_minutes=d.get("time_extension_minutes"),
        persona_pool={k: tuple((name, avatar) for name, avatar in v) for k, v in d.get("persona_pool", {}).items()},
        translations={k: dict(v) for k, v in d.get("translations", {}).items()},
    )
