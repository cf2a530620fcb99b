"""The export's columns: what each one means *and* how its value is read from a record.

Pure (no Flask, no database): a column carries its own accessor, so the one list that
describes a table in the codebook also produces its rows (:meth:`Table.from_records`);
there is no second list of names to keep in step. The records are small views of the
loaded rows (:class:`EntryRecord`, :class:`ParticipantRecord`, ...), built in
:mod:`webapp.export.tables`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

from experiments.steps import ITEM_EXPORTS, all_steps

from ..domain.conformity import is_adopted

Accessor = Callable[[Any], Any]
ID_VALUES = "16 hexadecimal characters"
UTC_VALUES = "ISO 8601, UTC (Z)"
ENTRY_STATUSES = ("active", "completed", "timed_out", "returned")
ENTRY_OUTCOMES = ("completed", "attention_failed", "timed_out", "returned")


def _no_accessor(record: Any) -> Any:
    raise TypeError("this column has no accessor; give rows explicitly")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | integer | number | boolean | datetime | json
    meaning: str
    values: str = ""  # unit, range or description of allowed values
    allowed: tuple | None = None  # the closed list of allowed values, where there is one
    item_text: str | None = None  # the question as participants saw it (item columns)
    value: Accessor = field(default=_no_accessor, compare=False, repr=False)  # record -> cell value

    def describe(self) -> dict:
        entry: dict[str, Any] = {"name": self.name, "type": self.type, "meaning": self.meaning, "values": self.values}
        if self.allowed is not None:
            entry["allowed"] = list(self.allowed)
        if self.item_text is not None:
            entry["item_text"] = self.item_text
        return entry


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @classmethod
    def from_records(cls, name: str, columns: list[Column], records: Iterable[Any]) -> Table:
        """One row per record, each cell read by its column's accessor."""
        records = list(records)
        cells = [list(map(c.value, records)) for c in columns]  # column by column: C-level map over getters
        return cls(name, columns, list(zip(*cells)) if records else [])


# ---------------------------------------------------------------- the records the accessors read
@dataclass(frozen=True)
class EntryRecord:
    """One consented entry: its loaded row, pseudonym, version number and seconds per step."""
    row: Any
    pid: str
    version: int | None
    seconds: dict[str, float]
    time_extended: bool = False  # asked for more time before the time limit (the time_extended event)
    seconds_waiting: float | None = None  # the wait for peers' suggestions, apart from seconds["suggestions"]

    @property
    def started_at(self) -> datetime | None:
        return self.row.consented_at or self.row.entered_at


@dataclass(frozen=True)
class ParticipantRecord(EntryRecord):
    """A completed participant, with the answers and designs the participant columns read."""
    given: dict[str, Any] = field(default_factory=dict)  # item key -> answer
    definition: Any = None  # the StudyDefinition of the participant's version
    initial: dict[str, str] = field(default_factory=dict)  # attribute -> level
    final: dict[str, str] = field(default_factory=dict)
    monogram: str = ""

    @property
    def duration_s(self) -> float | None:
        started, completed = self.started_at, self.row.completed_at
        return round((completed - started).total_seconds(), 3) if completed and started else None


@dataclass(frozen=True)
class SuggestionRecord:
    row: Any
    pid: str
    suggester: str | None  # the peer's pseudonym, None for scripted suggestions


class EventRecord(NamedTuple):
    participant_id: str
    event_id: int
    at: datetime
    step: str | None
    kind: str
    payload: str


def _row(name: str) -> Accessor:
    return attrgetter(f"row.{name}")


def _answer(key: str) -> Accessor:
    return lambda record: record.given.get(key)


def _seconds(step: str) -> Accessor:
    return lambda record: record.seconds.get(step)


def _initial_level(attribute: str) -> Accessor:
    return lambda record: record.initial.get(attribute)


def _final_level(attribute: str) -> Accessor:
    return lambda record: record.final.get(attribute)


def _flag(name: str) -> Accessor:
    return lambda record: bool(getattr(record.row, name))


def _wtp(record: ParticipantRecord) -> float | None:
    value = record.given.get(record.definition.wtp.key)
    return float(value) if isinstance(value, (int, float)) else None


# ---------------------------------------------------------------- what the definitions contribute
def unique(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def flow_steps(definitions: list) -> list[str]:
    """Every step of every exported version's flow, in first-seen order."""
    return unique(s for d in definitions for s in d.flow)


def design_attributes(definitions: list) -> dict[str, Any]:
    """Every catalogue attribute of the exported versions (the current version's labels win)."""
    attributes: dict[str, Any] = {}
    for d in definitions:
        for attribute in d.catalogue().attributes:
            attributes.setdefault(attribute.key, attribute)
    return attributes


def _relations(definitions: list) -> tuple:
    return tuple(unique(r for d in definitions for r in d.relations))


def scale_text(scale) -> str:
    return f"{scale.min}–{scale.max} ({scale.min} = {scale.low}, {scale.max} = {scale.high})"


def item_columns(definitions: list, taken: set[str]) -> list[Column]:
    """One column per questionnaire item (by item key), in questionnaire order."""
    columns: dict[str, Column] = {}
    declared = all_steps()
    for export_kind in ITEM_EXPORTS:  # the item columns each declared step's answers get
        for d in definitions:
            for step in (s for s in declared if s.export == export_kind):
                for column in step_item_columns(step, d):
                    if column.name not in taken and column.name not in columns:
                        columns[column.name] = replace(column, value=_answer(column.name))
    return list(columns.values())


def step_item_columns(step, d) -> list[Column]:
    """The item columns of one declared step in one definition (none when the study lacks the block)."""
    if step.export == "likert_items":
        return _likert_item_columns(step, d)
    if step.export == "closeness_items":
        return [Column(f"ios_{persona.key}", "integer",
                       f"Closeness to the suggester {persona.name} ({persona.relation_label}, relation "
                       f"'{relation}'), Inclusion-of-Other-in-the-Self pictures; empty if this persona "
                       "made no suggestion to the participant.",
                       "1–7 (1 = separate circles, 7 = almost fully overlapping)",
                       item_text=d.closeness_prompt.replace("{name}", persona.name))
                for relation, personas in d.personas.items() for persona in personas]
    checks = d.checks
    return [Column(checks.manipulation_key, "integer", "Manipulation check item (same value as manipulation_check).",
                   scale_text(checks.manipulation_scale), item_text=checks.manipulation_text),
            *(Column(check.key, "string", f"Attention check item; the instructed answer is {check.expected!r}.",
                     "one of the options", allowed=tuple(check.options), item_text=check.text)
              for check in checks.attention)]


def _likert_item_columns(step, d) -> list[Column]:
    try:
        block = d.likert_block(step.name)
    except KeyError:  # a declared extra block this study does not ask
        return []
    result = []
    for item in block.items:
        if item.attention is not None:
            meaning = (f"Answer to the {step.block_label} instructed-response (attention) item; "
                       f"the correct answer is {item.attention}.")
        else:
            meaning = f"Answer to the {step.block_label} item" + (f" (facet: {item.facet})" if item.facet else "")
            if item.reverse:  # as answered; a block with a score column reverses it there, others leave it to you
                meaning += (f"; as answered: reverse-coded in the {step.score_field} score." if step.score_field else
                            f"; as answered: a reverse-coded item, so reverse it ({block.scale.min} + "
                            f"{block.scale.max} − answer) before averaging the block.")
            else:
                meaning += "."
        result.append(Column(item.key, "integer", meaning, scale_text(block.scale), item_text=item.text))
    return result


# ---------------------------------------------------------------- the four tables
def participant_columns(definitions: list, include_pilot: bool) -> list[Column]:
    """The participants table: scores, condition, designs, step times and every item answer."""
    d = definitions[0]
    genders = tuple(unique(k for x in definitions for k, _ in x.demographics.gender_options))
    ts, ev, wtp, checks = d.thinking_style, d.evaluation, d.wtp, d.checks
    columns = [
        Column("participant_id", "string",
               "Pseudonymous participant id: keyed HMAC-SHA256 of the study and the internal row id, truncated. "
               "Stable across exports of this study; unlinkable across studies. Joins the other files.",
               ID_VALUES, value=attrgetter("pid")),
        Column("condition", "string",
               "Visibility condition: 'public' = the design and the suggestions were shown as a public gallery "
               "post; 'private' = on a private page.", "public or private", allowed=("public", "private"),
               value=_row("visibility")),
        Column("relation", "string", "Relation to the (scripted or peer) suggesters in this participant's cell.",
               "one of the study's relations", allowed=_relations(definitions), value=_row("relation")),
        Column("language", "string", "Interface language the participant took the study in (fixed at consent; "
               "ISO 639-1 code).", "one of the study's languages",
               allowed=tuple(unique(code for x in definitions for code in x.languages)), value=_row("language")),
        Column("holism", "number", "Holistic thinking: mean of the scored thinking-style items after "
               "reverse-coding (attention items excluded); higher = more holistic.", scale_text(ts.scale),
               value=_row("holism")),
        Column("conformity", "number", "Share of the suggestions adopted (n_adopted / n_suggestions).",
               "0–1 (proportion)", value=_row("conformity")),
        Column("conformity_distance", "integer",
               "Number of design attributes moved to a suggested level (each attribute counted once).",
               "count of attributes", value=_row("conformity_distance")),
        Column("n_suggestions", "integer", "Number of suggestions the participant received.", "count",
               value=_row("n_suggestions")),
        Column("n_adopted", "integer", "Number of suggestions adopted: final level equals the suggested level "
               "and the initial level did not.", "count", value=_row("n_adopted")),
        Column("closeness", "number", "Closeness to the suggesters: mean of the ios_* items answered.",
               "1–7 (Inclusion of Other in the Self)", value=_row("closeness")),
        Column("evaluation", "number", "Evaluation of the final shirt: mean of the scored evaluation items after "
               "reverse-coding.", scale_text(ev.scale), value=_row("evaluation")),
        Column("wtp", "number", f"Willingness to pay for the final shirt ({wtp.text!r}).",
               f"{wtp.currency}, {wtp.min:g}–{wtp.max:g}", item_text=wtp.text, value=_wtp),
        Column("manipulation_check", "integer",
               f"Perceived visibility (manipulation check, item '{checks.manipulation_key}').",
               scale_text(checks.manipulation_scale), item_text=checks.manipulation_text,
               value=lambda r: r.given.get(r.definition.checks.manipulation_key)),
        Column("attention_passed", "boolean",
               "Whether every attention check (instructed-response items) was answered as instructed; "
               "empty if the study had none.", "true or false", value=_row("attention_passed")),
        Column("age", "integer", "Age in years (optional; empty if not given).",
               f"years, {d.demographics.age_min}–{d.demographics.age_max}", item_text=d.demographics.age_text,
               value=_answer("age")),
        Column("gender", "string", "Gender (optional; empty if not given).",
               "; ".join(f"{k} = {label}" for k, label in d.demographics.gender_options),
               allowed=genders, item_text=d.demographics.gender_text, value=_answer("gender")),
        Column("status", "string", "Participation status (only completed participants are exported).",
               "completed", allowed=("completed",), value=_row("status")),
        Column("outcome", "string", "How the participant finished: 'completed', or 'attention_failed' when an "
               "attention check was failed.", "completed or attention_failed",
               allowed=("completed", "attention_failed"), value=_row("outcome")),
        Column("study_version", "integer", "Number of the study-definition version the participant took part in "
               "(see manifest.json).", "1, 2, ...", value=attrgetter("version")),
        Column("simulated", "boolean", "Whether the participant was simulated (a bot run with the simulation key), "
               "not a person.", "true or false", value=_flag("is_simulated")),
    ]
    if include_pilot:
        columns.append(Column("pilot", "boolean", "Whether this was a pilot run from the studio (not real data).",
                              "true or false", value=_flag("is_pilot")))
    columns += [
        Column("started_at", "datetime", "When the participant consented and started.", UTC_VALUES,
               value=attrgetter("started_at")),
        Column("completed_at", "datetime", "When the participant finished the last step.", UTC_VALUES,
               value=_row("completed_at")),
        Column("duration_s", "number", "Time from start to completion.", "seconds", value=attrgetter("duration_s")),
        Column("time_extended", "boolean", "Whether the participant asked for more time when warned before the "
               "time limit (allowed once; see the time_extended event for the old and new deadline).",
               "true or false", value=attrgetter("time_extended")),
        Column("monogram_used", "boolean", "Whether the final shirt carried a monogram (its letters are not "
               "exported: they are often initials).", "true or false",
               value=lambda r: bool(r.monogram) if r.row.final_design_json else None),
    ]
    attributes = design_attributes(definitions)
    for key, attribute in attributes.items():
        columns.append(Column(f"initial_{key}", "string", f"{attribute.label} of the initially submitted design.",
                              "level key", allowed=attribute.level_keys,
                              value=_initial_level(key)))
    for key, attribute in attributes.items():
        columns.append(Column(f"final_{key}", "string", f"{attribute.label} of the final (revised) design.",
                              "level key", allowed=attribute.level_keys,
                              value=_final_level(key)))
    for step in flow_steps(definitions):
        columns.append(Column(f"seconds_{step}", "number", f"Time spent on the '{step}' step (from the "
                              "step_completed event); empty if the step was not part of the flow.", "seconds",
                              value=_seconds(step)))
    columns += waiting_columns(definitions)
    columns += item_columns(definitions, {c.name for c in columns})
    return columns


def entry_columns(definitions: list, include_pilot: bool) -> list[Column]:
    """The entries table: every consented entry, finished or not (for attrition)."""
    steps = flow_steps(definitions)
    columns = [
        Column("participant_id", "string", "Pseudonymous participant id, the same as in participants and events.",
               ID_VALUES, value=attrgetter("pid")),
        Column("condition", "string", "Visibility condition assigned at consent.", "public or private",
               allowed=("public", "private"), value=_row("visibility")),
        Column("relation", "string", "Relation to the suggesters in this entry's cell.",
               "one of the study's relations", allowed=_relations(definitions), value=_row("relation")),
        Column("status", "string", "Where the entry stands: 'active' (still taking part), 'completed', "
               "'timed_out' (passed the time limit) or 'returned'.", "; ".join(ENTRY_STATUSES),
               allowed=ENTRY_STATUSES, value=_row("status")),
        Column("outcome", "string", "How the entry ended; empty while it is active. 'attention_failed' is a "
               "completion with a failed attention check.", "; ".join(ENTRY_OUTCOMES), allowed=ENTRY_OUTCOMES,
               value=_row("outcome")),
        Column("last_step", "string", "The last step the entry reached ('done' once it finished; for a timed-out "
               "entry, the step it stopped on).", "step name or 'done'", allowed=(*steps, "done"),
               value=_row("step")),
        Column("steps_completed", "integer", "How many steps of the flow the entry completed.", "count",
               value=lambda r: len(r.seconds)),
        Column("attention_passed", "boolean", "Whether the attention checks answered so far were passed; empty "
               "if none was answered yet.", "true or false", value=_row("attention_passed")),
        Column("study_version", "integer", "Study-definition version of the entry.", "1, 2, ...",
               value=attrgetter("version")),
        Column("simulated", "boolean", "Whether the entry was simulated (not a person).", "true or false",
               value=_flag("is_simulated")),
    ]
    if include_pilot:
        columns.append(Column("pilot", "boolean", "Whether this was a pilot run from the studio.", "true or false",
                              value=_flag("is_pilot")))
    columns += [
        Column("started_at", "datetime", "When the entry consented and started.", UTC_VALUES,
               value=attrgetter("started_at")),
        Column("ended_at", "datetime", "When the entry completed; empty otherwise.", UTC_VALUES,
               value=_row("completed_at")),
        Column("deadline_at", "datetime", "The entry's time limit.", UTC_VALUES, value=_row("deadline_at")),
        Column("time_extended", "boolean", "Whether the entry asked for more time when warned before the time "
               "limit (allowed once; deadline_at is then the extended deadline).", "true or false",
               value=attrgetter("time_extended")),
    ]
    for step in steps:
        columns.append(Column(f"seconds_{step}", "number", f"Time spent on the '{step}' step; empty if the entry "
                              "did not complete it.", "seconds", value=_seconds(step)))
    return columns + waiting_columns(definitions)


def waiting_columns(definitions: list) -> list[Column]:
    """seconds_waiting, for studies with peer suggestions: the wait is not time spent with the suggestions."""
    if not any(d.suggestions.source in ("peer", "mix") for d in definitions):
        return []
    return [Column("seconds_waiting", "number",
                   "Time on the waiting page while other participants' suggestions were awaited (from the "
                   "peer_wait_ended event), before the suggestions were shown; it is not part of "
                   "seconds_suggestions, which starts when the suggestions are ready. 0 when they were ready at "
                   "once; empty if the entry never reached its suggestions.", "seconds",
                   value=attrgetter("seconds_waiting"))]


def _adopted(record: SuggestionRecord) -> bool | None:
    s = record.row
    return None if s.final_level is None else is_adopted(s.initial_level, s.suggested_level, s.final_level)


def suggestion_columns(definitions: list) -> list[Column]:
    """The suggestions table: one row per suggestion shown to a completed participant."""
    personas = tuple(unique(p.key for x in definitions for ps in x.personas.values() for p in ps))
    return [
        Column("participant_id", "string", "The participant who received the suggestion (see participants).",
               ID_VALUES, value=attrgetter("pid")),
        Column("position", "integer", "Order of the suggestion as shown to the participant.", "0, 1, 2, ...",
               value=_row("position")),
        Column("attribute", "string", "The design attribute the suggestion is about.", "attribute key",
               value=_row("attribute")),
        Column("initial_level", "string", "Level of the attribute in the initially submitted design.", "level key",
               value=_row("initial_level")),
        Column("suggested_level", "string", "Level the suggestion proposed.", "level key",
               value=_row("suggested_level")),
        Column("final_level", "string", "Level of the attribute in the final design.", "level key",
               value=_row("final_level")),
        Column("adopted", "boolean", "Whether the suggestion was adopted: final level equals the suggested level "
               "and the initial level did not.", "true or false", value=_adopted),
        Column("decision", "string", "The participant's explicit decision on the suggestion card, if any "
               "(a suggestion can also be adopted by editing the design directly).",
               "adopted, rejected or empty", allowed=("adopted", "rejected"), value=_row("decision")),
        Column("source", "string", "Where the suggestion came from: 'scripted' (generated by the study) or 'peer' "
               "(written by an earlier participant).", "scripted or peer", allowed=("scripted", "peer"),
               value=_row("source")),
        Column("suggester_id", "string", "For peer suggestions, the suggester's participant_id (may refer to a "
               "participant not in this export); empty for scripted suggestions or withdrawn suggesters.",
               "16 hexadecimal characters or empty", value=attrgetter("suggester")),
        Column("persona", "string", "Key of the persona the suggestion was shown as coming from.", "persona key",
               allowed=personas, value=_row("persona_key")),
        Column("relation", "string", "Relation of the persona to the participant.", "relation key",
               allowed=_relations(definitions), value=_row("relation")),
        Column("text", "string", "The suggestion text as shown.", "free text", value=_row("text")),
        Column("comment", "string", "The peer's own comment (free text written by a participant); empty for "
               "scripted suggestions. Cells starting with = + - @ are prefixed with ' in CSV.", "free text",
               value=lambda r: r.row.comment or None),
    ]


def event_columns() -> list[Column]:
    """The events table: the event log of the completed participants (payloads already scrubbed)."""
    return [
        Column("participant_id", "string", "The participant the event belongs to (see participants).",
               ID_VALUES, value=attrgetter("participant_id")),
        Column("event_id", "integer", "Id of the event; increases with time across the study.", "integer",
               value=attrgetter("event_id")),
        Column("at", "datetime", "When the event happened.", UTC_VALUES, value=attrgetter("at")),
        Column("step", "string", "The participant's step when the event happened.", "step name or 'done'",
               value=attrgetter("step")),
        Column("kind", "string", "What happened, e.g. consented, assigned, step_started, step_completed, page_view, "
               "attribute_changed, design_submitted, suggestion_received, suggestion_adopted, "
               "suggestion_rejected, answers_submitted, validation_failed, time_extended, peer_wait_planned, "
               "peer_wait_ended, completed.", "event kind",
               value=attrgetter("kind")),
        Column("payload", "json", "Details of the event as a JSON object (e.g. seconds for step_completed; "
               "participant references use participant_id; monograms are redacted).", "JSON object text",
               value=attrgetter("payload")),
    ]


# ---------------------------------------------------------------- the codebook documents
CONVENTIONS = {
    "missing": "empty cell (null in Parquet)",
    "booleans": "true / false",
    "times": "ISO 8601 in UTC with a trailing Z",
    "formula_guard": "in CSV, a text cell starting with = + - @, tab or carriage return is "
                     "prefixed with an apostrophe (') so spreadsheets do not run it",
    "participant_id": "keyed hash, stable within this study, unlinkable across studies",
}


def codebook(tables: dict[str, Table], fmt: str, slug: str, title: str, versions: list[int]) -> dict:
    """The codebook as a JSON-ready dict: every column of every file, described."""
    return {
        "study": slug,
        "title": title,
        "study_versions": versions,
        "conventions": dict(CONVENTIONS),
        "files": {f"{name}.{fmt}": [c.describe() for c in table.columns] for name, table in tables.items()},
    }


def codebook_markdown(book: dict) -> str:
    """The same codebook as a Markdown document for people."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"# Codebook: {book['study']}", "", book["title"], "",
             f"Study versions in this export: {', '.join(map(str, book['study_versions'])) or 'none'}.", ""]
    for key, text in book["conventions"].items():
        lines.append(f"- **{key.replace('_', ' ')}**: {text}")
    for file, columns in book["files"].items():
        lines += ["", f"## {file}", "", "| column | type | meaning | values |", "|---|---|---|---|"]
        for c in columns:
            meaning = c["meaning"] + (f" Item: “{c['item_text']}”" if c.get("item_text") else "")
            values = c["values"] + (f" (allowed: {', '.join(map(str, c['allowed']))})" if c.get("allowed") else "")
            lines.append(f"| `{c['name']}` | {c['type']} | {cell(meaning)} | {cell(values)} |")
    return "\n".join(lines) + "\n"
