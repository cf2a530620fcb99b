"""The data export: participants, suggestions and the event log of one study, with a codebook.

    flask --app webapp export STUDY --out DIR [--format csv|parquet] [--include-pilot]

The directory receives ``participants`` (completed), ``entries`` (every consented entry,
for attrition), ``suggestions`` and ``events`` tables (CSV or Parquet), ``codebook.json`` / ``codebook.md`` describing every column of every table, and
``manifest.json`` (study, version, export time, software version, row counts, SHA-256 of
every file). The studio offers the same files as one zip (:func:`export_zip_bytes`).

Privacy: participants appear only under ``participant_id``, a keyed hash (see
:func:`participant_id`) that is stable within a study and unlinkable across studies.
Recruiting ids, IP addresses and user agents are never stored in exportable form and no
column carries them; internal row ids of participants that appear in event payloads are
replaced by the same pseudonym, and monograms (often initials) are redacted.

Efficiency: a fixed handful of column-only queries per export (participants, responses,
suggestions, events, versions), no ORM objects per row, so 10,000 participants with
300,000 events export in a few seconds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import click
from flask import Flask
from sqlalchemy import select

from experiments.steps import ITEM_EXPORTS, all_steps

from .domain.catalogue import MONOGRAM_KEY
from .domain.conformity import is_adopted
from .extensions import db
from .journey import pseudonym
from .models import Event, Participant, Response, Study, StudyVersion, Suggestion

FORMATS = ("csv", "parquet")
TABLES = ("participants", "entries", "suggestions", "events")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
REDACTED = "[redacted]"
SOFTWARE = "social-customization-lab"

# Column types used in the codebook; each maps to a pandas dtype for build_tables/parquet.
DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean",
          "datetime": "datetime64[ns, UTC]", "json": "string"}


class ExportError(Exception):
    """The export cannot be produced (e.g. Parquet asked for without pyarrow)."""


# ---------------------------------------------------------------- columns and tables
@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | integer | number | boolean | datetime | json
    meaning: str
    values: str = ""  # unit, range or description of allowed values
    allowed: tuple | None = None  # the closed list of allowed values, where there is one
    item_text: str | None = None  # the question as participants saw it (item columns)

    def describe(self) -> dict:
        entry = {"name": self.name, "type": self.type, "meaning": self.meaning, "values": self.values}
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


def participant_id(study_slug: str, internal_id: int) -> str:
    """The exported participant id: keyed HMAC-SHA256 of study slug and row id, 16 hex characters."""
    return pseudonym(study_slug, "participant", str(internal_id))[:16]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _scale_text(scale) -> str:
    return f"{scale.min}–{scale.max} ({scale.min} = {scale.low}, {scale.max} = {scale.high})"


def _int_or_none(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


# ---------------------------------------------------------------- loading (a few bulk queries)
def _participant_filter(study: Study, include_pilot: bool) -> list:
    conditions = [Participant.study_id == study.id, Participant.status == "completed"]
    if not include_pilot:
        conditions.append(Participant.is_pilot.is_(False))
    return conditions


def _entry_filter(study: Study, include_pilot: bool) -> list:
    """Every entry that consented (withdrawn participants are deleted, so they never appear)."""
    conditions = [Participant.study_id == study.id]
    if not include_pilot:
        conditions.append(Participant.is_pilot.is_(False))
    return conditions


def _load(study: Study, include_pilot: bool) -> dict:
    """Six queries in all; column tuples through Core, no ORM objects per row."""
    where = _participant_filter(study, include_pilot)
    every = _entry_filter(study, include_pilot)
    execute = db.session.connection().execute
    entries = execute(
        select(Participant.id, Participant.version_id, Participant.visibility, Participant.relation,
               Participant.status, Participant.outcome, Participant.is_pilot, Participant.is_simulated,
               Participant.entered_at, Participant.consented_at, Participant.completed_at,
               Participant.holism, Participant.evaluation, Participant.closeness, Participant.attention_passed,
               Participant.n_suggestions, Participant.n_adopted, Participant.conformity,
               Participant.conformity_distance, Participant.initial_design_json, Participant.final_design_json,
               Participant.step, Participant.deadline_at, Participant.language)
        .where(*every).order_by(Participant.id)).all()
    people = [e for e in entries if e.status == "completed"]  # the same rows as _participant_filter
    responses = execute(
        select(Response.participant_id, Response.item_key, Response.value_num, Response.value_text)
        .join(Participant, Participant.id == Response.participant_id).where(*where)).all()
    suggestions = execute(
        select(Suggestion.participant_id, Suggestion.position, Suggestion.attribute, Suggestion.initial_level,
               Suggestion.suggested_level, Suggestion.final_level, Suggestion.decision, Suggestion.source,
               Suggestion.suggester_id, Suggestion.persona_key, Suggestion.relation, Suggestion.text,
               Suggestion.comment)
        .join(Participant, Participant.id == Suggestion.participant_id).where(*where)
        .order_by(Suggestion.participant_id, Suggestion.position)).all()
    events = execute(
        select(Event.participant_id, Event.id, Event.at, Event.step, Event.kind, Event.payload)
        .join(Participant, Participant.id == Event.participant_id).where(*where)
        .order_by(Event.participant_id, Event.id)).all()
    # completed participants' step times come from `events` above; this reads only the others'
    entry_seconds = execute(
        select(Event.participant_id, Event.step, Event.payload)
        .join(Participant, Participant.id == Event.participant_id)
        .where(*every, Participant.status != "completed", Event.kind == "step_completed")).all()
    versions = db.session.execute(
        select(StudyVersion).where(StudyVersion.study_id == study.id).order_by(StudyVersion.number)).scalars().all()
    return {"people": people, "responses": responses, "suggestions": suggestions, "events": events,
            "entries": entries, "entry_seconds": entry_seconds, "versions": versions}


# ---------------------------------------------------------------- the definitions behind the columns
def _definitions(study: Study, versions: list[StudyVersion], used_ids: set[int]) -> list:
    """Definitions that shape the columns: every version with exported participants, current first."""
    chosen = [v for v in versions if v.id in used_ids]
    current = next((v for v in versions if v.id == study.current_version_id), None)
    if current is not None and current not in chosen:
        chosen.append(current)
    chosen.sort(key=lambda v: (v.id != study.current_version_id, -v.number))
    return [v.definition for v in chosen]


def _unique(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def _item_columns(definitions: list, taken: set[str]) -> list[Column]:
    """One column per questionnaire item (by item key), in questionnaire order."""
    columns: dict[str, Column] = {}

    def add(column: Column) -> None:
        if column.name not in taken and column.name not in columns:
            columns[column.name] = column

    declared = all_steps()
    for export_kind in ITEM_EXPORTS:  # the item columns each declared step's answers get
        for d in definitions:
            for step in (s for s in declared if s.export == export_kind):
                for column in _step_item_columns(step, d):
                    add(column)
    return list(columns.values())


def _step_item_columns(step, d) -> list[Column]:
    """The item columns of one declared step in one definition (none when the study lacks the block)."""
    if step.export == "likert_items":
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
                meaning += "; reverse-coded in the scale score." if item.reverse else "."
            result.append(Column(item.key, "integer", meaning, _scale_text(block.scale), item_text=item.text))
        return result
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
                   _scale_text(checks.manipulation_scale), item_text=checks.manipulation_text),
            *(Column(check.key, "string", f"Attention check item; the instructed answer is {check.expected!r}.",
                     "one of the options", allowed=tuple(check.options), item_text=check.text)
              for check in checks.attention)]


def _participant_columns(study: Study, definitions: list, include_pilot: bool) -> tuple[list[Column], dict]:
    d = definitions[0]
    relations = tuple(_unique(r for x in definitions for r in x.relations))
    genders = tuple(_unique(k for x in definitions for k, _ in x.demographics.gender_options))
    steps = _unique(s for x in definitions for s in x.flow)
    attributes: dict[str, Any] = {}
    for x in definitions:
        for attribute in x.catalogue().attributes:
            attributes.setdefault(attribute.key, attribute)
    ts, ev, wtp, checks = d.thinking_style, d.evaluation, d.wtp, d.checks
    columns = [
        Column("participant_id", "string",
               "Pseudonymous participant id: keyed HMAC-SHA256 of the study and the internal row id, truncated. "
               "Stable across exports of this study; unlinkable across studies. Joins the other files.",
               "16 hexadecimal characters"),
        Column("condition", "string",
               "Visibility condition: 'public' = the design and the suggestions were shown as a public gallery "
               "post; 'private' = on a private page.", "public or private", allowed=("public", "private")),
        Column("relation", "string", "Relation to the (scripted or peer) suggesters in this participant's cell.",
               "one of the study's relations", allowed=relations),
        Column("language", "string", "Interface language the participant took the study in (fixed at consent; "
               "ISO 639-1 code).", "one of the study's languages",
               allowed=tuple(_unique(code for x in definitions for code in x.languages))),
        Column("holism", "number", "Holistic thinking: mean of the scored thinking-style items after "
               "reverse-coding (attention items excluded); higher = more holistic.", _scale_text(ts.scale)),
        Column("conformity", "number", "Share of the suggestions adopted (n_adopted / n_suggestions).",
               "0–1 (proportion)"),
        Column("conformity_distance", "integer",
               "Number of design attributes moved to a suggested level (each attribute counted once).",
               "count of attributes"),
        Column("n_suggestions", "integer", "Number of suggestions the participant received.", "count"),
        Column("n_adopted", "integer", "Number of suggestions adopted: final level equals the suggested level "
               "and the initial level did not.", "count"),
        Column("closeness", "number", "Closeness to the suggesters: mean of the ios_* items answered.",
               "1–7 (Inclusion of Other in the Self)"),
        Column("evaluation", "number", "Evaluation of the final shirt: mean of the scored evaluation items after "
               "reverse-coding.", _scale_text(ev.scale)),
        Column("wtp", "number", f"Willingness to pay for the final shirt ({wtp.text!r}).",
               f"{wtp.currency}, {wtp.min:g}–{wtp.max:g}", item_text=wtp.text),
        Column("manipulation_check", "integer",
               f"Perceived visibility (manipulation check, item '{checks.manipulation_key}').",
               _scale_text(checks.manipulation_scale), item_text=checks.manipulation_text),
        Column("attention_passed", "boolean",
               "Whether every attention check (instructed-response items) was answered as instructed; "
               "empty if the study had none.", "true or false"),
        Column("age", "integer", "Age in years (optional; empty if not given).",
               f"years, {d.demographics.age_min}–{d.demographics.age_max}", item_text=d.demographics.age_text),
        Column("gender", "string", "Gender (optional; empty if not given).",
               "; ".join(f"{k} = {label}" for x in definitions[:1] for k, label in x.demographics.gender_options),
               allowed=genders, item_text=d.demographics.gender_text),
        Column("status", "string", "Participation status (only completed participants are exported).",
               "completed", allowed=("completed",)),
        Column("outcome", "string", "How the participant finished: 'completed', or 'attention_failed' when an "
               "attention check was failed.", "completed or attention_failed",
               allowed=("completed", "attention_failed")),
        Column("study_version", "integer", "Number of the study-definition version the participant took part in "
               "(see manifest.json).", "1, 2, ..."),
        Column("simulated", "boolean", "Whether the participant was simulated (a bot run with the simulation key), "
               "not a person.", "true or false"),
    ]
    if include_pilot:
        columns.append(Column("pilot", "boolean", "Whether this was a pilot run from the studio (not real data).",
                              "true or false"))
    columns += [
        Column("started_at", "datetime", "When the participant consented and started.", "ISO 8601, UTC (Z)"),
        Column("completed_at", "datetime", "When the participant finished the last step.", "ISO 8601, UTC (Z)"),
        Column("duration_s", "number", "Time from start to completion.", "seconds"),
        Column("monogram_used", "boolean", "Whether the final shirt carried a monogram (its letters are not "
               "exported: they are often initials).", "true or false"),
    ]
    for key, attribute in attributes.items():
        columns.append(Column(f"initial_{key}", "string", f"{attribute.label} of the initially submitted design.",
                              "level key", allowed=attribute.level_keys))
    for key, attribute in attributes.items():
        columns.append(Column(f"final_{key}", "string", f"{attribute.label} of the final (revised) design.",
                              "level key", allowed=attribute.level_keys))
    for step in steps:
        columns.append(Column(f"seconds_{step}", "number", f"Time spent on the '{step}' step (from the "
                              "step_completed event); empty if the step was not part of the flow.", "seconds"))
    columns += _item_columns(definitions, {c.name for c in columns})
    meta = {"attributes": list(attributes), "steps": steps}
    return columns, meta


ENTRY_STATUSES = ("active", "completed", "timed_out", "returned")
ENTRY_OUTCOMES = ("completed", "attention_failed", "timed_out", "returned")


def _entry_columns(definitions: list, steps: list[str], include_pilot: bool) -> list[Column]:
    relations = tuple(_unique(r for x in definitions for r in x.relations))
    columns = [
        Column("participant_id", "string", "Pseudonymous participant id, the same as in participants and events.",
               "16 hexadecimal characters"),
        Column("condition", "string", "Visibility condition assigned at consent.", "public or private",
               allowed=("public", "private")),
        Column("relation", "string", "Relation to the suggesters in this entry's cell.",
               "one of the study's relations", allowed=relations),
        Column("status", "string", "Where the entry stands: 'active' (still taking part), 'completed', "
               "'timed_out' (passed the time limit) or 'returned'.", "; ".join(ENTRY_STATUSES),
               allowed=ENTRY_STATUSES),
        Column("outcome", "string", "How the entry ended; empty while it is active. 'attention_failed' is a "
               "completion with a failed attention check.", "; ".join(ENTRY_OUTCOMES), allowed=ENTRY_OUTCOMES),
        Column("last_step", "string", "The last step the entry reached ('done' once it finished; for a timed-out "
               "entry, the step it stopped on).", "step name or 'done'", allowed=(*steps, "done")),
        Column("steps_completed", "integer", "How many steps of the flow the entry completed.", "count"),
        Column("attention_passed", "boolean", "Whether the attention checks answered so far were passed; empty "
               "if none was answered yet.", "true or false"),
        Column("study_version", "integer", "Study-definition version of the entry.", "1, 2, ..."),
        Column("simulated", "boolean", "Whether the entry was simulated (not a person).", "true or false"),
    ]
    if include_pilot:
        columns.append(Column("pilot", "boolean", "Whether this was a pilot run from the studio.", "true or false"))
    columns += [
        Column("started_at", "datetime", "When the entry consented and started.", "ISO 8601, UTC (Z)"),
        Column("ended_at", "datetime", "When the entry completed; empty otherwise.", "ISO 8601, UTC (Z)"),
        Column("deadline_at", "datetime", "The entry's time limit.", "ISO 8601, UTC (Z)"),
    ]
    for step in steps:
        columns.append(Column(f"seconds_{step}", "number", f"Time spent on the '{step}' step; empty if the entry "
                              "did not complete it.", "seconds"))
    return columns


def _entries_table(loaded: dict, definitions: list, steps: list[str], include_pilot: bool, pid_of,
                   version_numbers: dict, completed_seconds: dict[int, dict[str, float]]) -> Table:
    table = Table("entries", _entry_columns(definitions, steps, include_pilot))
    seconds: dict[int, dict[str, float]] = dict(completed_seconds)
    for pid, step, payload in loaded["entry_seconds"]:
        value = json.loads(payload or "{}").get("seconds")
        if isinstance(value, (int, float)):
            per = seconds.setdefault(pid, {})
            per[step] = round(per.get(step, 0.0) + float(value), 3)
    for e in loaded["entries"]:
        per_step = seconds.get(e.id, {})
        row = [pid_of(e.id), e.visibility, e.relation, e.status, e.outcome, e.step, len(per_step),
               e.attention_passed, version_numbers.get(e.version_id), bool(e.is_simulated)]
        if include_pilot:
            row.append(bool(e.is_pilot))
        row += [e.consented_at or e.entered_at, e.completed_at, e.deadline_at]
        row += [per_step.get(step) for step in steps]
        table.rows.append(tuple(row))
    return table


def _suggestion_columns(definitions: list) -> list[Column]:
    relations = tuple(_unique(r for x in definitions for r in x.relations))
    personas = tuple(_unique(p.key for x in definitions for ps in x.personas.values() for p in ps))
    return [
        Column("participant_id", "string", "The participant who received the suggestion (see participants).",
               "16 hexadecimal characters"),
        Column("position", "integer", "Order of the suggestion as shown to the participant.", "0, 1, 2, ..."),
        Column("attribute", "string", "The design attribute the suggestion is about.", "attribute key"),
        Column("initial_level", "string", "Level of the attribute in the initially submitted design.", "level key"),
        Column("suggested_level", "string", "Level the suggestion proposed.", "level key"),
        Column("final_level", "string", "Level of the attribute in the final design.", "level key"),
        Column("adopted", "boolean", "Whether the suggestion was adopted: final level equals the suggested level "
               "and the initial level did not.", "true or false"),
        Column("decision", "string", "The participant's explicit decision on the suggestion card, if any "
               "(a suggestion can also be adopted by editing the design directly).",
               "adopted, rejected or empty", allowed=("adopted", "rejected")),
        Column("source", "string", "Where the suggestion came from: 'scripted' (generated by the study) or 'peer' "
               "(written by an earlier participant).", "scripted or peer", allowed=("scripted", "peer")),
        Column("suggester_id", "string", "For peer suggestions, the suggester's participant_id (may refer to a "
               "participant not in this export); empty for scripted suggestions or withdrawn suggesters.",
               "16 hexadecimal characters or empty"),
        Column("persona", "string", "Key of the persona the suggestion was shown as coming from.", "persona key",
               allowed=personas),
        Column("relation", "string", "Relation of the persona to the participant.", "relation key",
               allowed=relations),
        Column("text", "string", "The suggestion text as shown.", "free text"),
        Column("comment", "string", "The peer's own comment (free text written by a participant); empty for "
               "scripted suggestions. Cells starting with = + - @ are prefixed with ' in CSV.", "free text"),
    ]


def _event_columns() -> list[Column]:
    return [
        Column("participant_id", "string", "The participant the event belongs to (see participants).",
               "16 hexadecimal characters"),
        Column("event_id", "integer", "Id of the event; increases with time across the study.", "integer"),
        Column("at", "datetime", "When the event happened.", "ISO 8601, UTC (Z)"),
        Column("step", "string", "The participant's step when the event happened.", "step name or 'done'"),
        Column("kind", "string", "What happened, e.g. consented, assigned, step_started, step_completed, page_view, "
               "attribute_changed, design_submitted, suggestion_received, suggestion_adopted, "
               "suggestion_rejected, answers_submitted, validation_failed, completed.", "event kind"),
        Column("payload", "json", "Details of the event as a JSON object (e.g. seconds for step_completed; "
               "participant references use participant_id; monograms are redacted).", "JSON object text"),
    ]


# ---------------------------------------------------------------- building the rows
def _scrub_payload(text: str, pid_of) -> str:
    """Replace internal participant row ids by pseudonyms and redact monograms."""
    if '"target"' not in text and MONOGRAM_KEY not in text:
        return text
    data = json.loads(text)
    if isinstance(data.get("target"), int):
        data["target"] = pid_of(data["target"])
    if data.get("attribute") == MONOGRAM_KEY:
        for key in ("before", "after"):
            if data.get(key):
                data[key] = REDACTED
    design = data.get("design")
    if isinstance(design, dict) and design.get(MONOGRAM_KEY):
        design[MONOGRAM_KEY] = REDACTED
    return json.dumps(data, sort_keys=True)


def _design(text: str | None) -> tuple[dict, str]:
    if not text:
        return {}, ""
    data = json.loads(text)
    return data.get("choices", {}), data.get("monogram", "")


def _build(study: Study, include_pilot: bool = False) -> tuple[dict[str, Table], dict]:
    loaded = _load(study, include_pilot)
    people = loaded["people"]
    versions = loaded["versions"]
    version_numbers = {v.id: v.number for v in versions}
    definitions_by_version = {v.id: v for v in versions}
    definitions = _definitions(study, versions, {p.version_id for p in loaded["entries"]})
    if not definitions:
        raise ExportError(f"study {study.slug!r} has no definition loaded")

    pids: dict[int, str] = {p.id: participant_id(study.slug, p.id) for p in people}

    def pid_of(internal: int) -> str:
        if internal not in pids:
            pids[internal] = participant_id(study.slug, internal)
        return pids[internal]

    # answers per participant
    answers: dict[int, dict[str, Any]] = {}
    for pid, key, num, text in loaded["responses"]:
        answers.setdefault(pid, {})[key] = _int_or_none(num) if num is not None else (text if text != "" else None)

    # seconds per step, and the event rows
    seconds: dict[int, dict[str, float]] = {}
    event_rows = []
    for pid, event_id, at, step, kind, payload in loaded["events"]:
        payload = payload or "{}"
        if kind == "step_completed":
            value = json.loads(payload).get("seconds")
            if isinstance(value, (int, float)):
                per = seconds.setdefault(pid, {})
                per[step] = round(per.get(step, 0.0) + float(value), 3)
        elif '"target"' in payload or MONOGRAM_KEY in payload:
            payload = _scrub_payload(payload, pid_of)
        event_rows.append((pids[pid], event_id, at, step, kind, payload))

    columns, meta = _participant_columns(study, definitions, include_pilot)
    participants = Table("participants", columns)
    names = participants.names
    base = {"participant_id", "condition", "relation", "language", "holism", "conformity", "conformity_distance",
            "n_suggestions", "n_adopted", "closeness", "evaluation", "wtp", "manipulation_check",
            "attention_passed", "age", "gender", "status", "outcome", "study_version", "simulated", "pilot",
            "started_at", "completed_at", "duration_s", "monogram_used"}
    item_names = [n for n in names if n not in base and not n.startswith(("initial_", "final_", "seconds_"))]
    attributes, steps = meta["attributes"], meta["steps"]
    for p in people:
        given = answers.get(p.id, {})
        definition = definitions_by_version[p.version_id].definition
        initial, _ = _design(p.initial_design_json)
        final, monogram = _design(p.final_design_json)
        started = p.consented_at or p.entered_at
        duration = (round((p.completed_at - started).total_seconds(), 3)
                    if p.completed_at is not None and started is not None else None)
        wtp = given.get(definition.wtp.key)
        row = {
            "participant_id": pid_of(p.id), "condition": p.visibility, "relation": p.relation,
            "language": p.language, "holism": p.holism, "conformity": p.conformity, "conformity_distance": p.conformity_distance,
            "n_suggestions": p.n_suggestions, "n_adopted": p.n_adopted, "closeness": p.closeness,
            "evaluation": p.evaluation, "wtp": float(wtp) if isinstance(wtp, (int, float)) else None,
            "manipulation_check": given.get(definition.checks.manipulation_key),
            "attention_passed": p.attention_passed, "age": given.get("age"), "gender": given.get("gender"),
            "status": p.status, "outcome": p.outcome, "study_version": version_numbers.get(p.version_id),
            "simulated": bool(p.is_simulated), "pilot": bool(p.is_pilot), "started_at": started,
            "completed_at": p.completed_at, "duration_s": duration,
            "monogram_used": bool(monogram) if p.final_design_json else None,
        }
        for key in attributes:
            row[f"initial_{key}"] = initial.get(key)
            row[f"final_{key}"] = final.get(key)
        per_step = seconds.get(p.id, {})
        for step in steps:
            row[f"seconds_{step}"] = per_step.get(step)
        for key in item_names:
            row[key] = given.get(key)
        participants.rows.append(tuple(row[n] for n in names))

    suggestions = Table("suggestions", _suggestion_columns(definitions))
    for s in loaded["suggestions"]:
        adopted = None if s.final_level is None else is_adopted(s.initial_level, s.suggested_level, s.final_level)
        suggester = pid_of(s.suggester_id) if s.source == "peer" and s.suggester_id is not None else None
        suggestions.rows.append((pid_of(s.participant_id), s.position, s.attribute, s.initial_level,
                                 s.suggested_level, s.final_level, adopted, s.decision, s.source, suggester,
                                 s.persona_key, s.relation, s.text, s.comment or None))

    events = Table("events", _event_columns(), event_rows)
    info = {"versions": sorted({version_numbers[p.version_id] for p in people}),
            "current_version": version_numbers.get(study.current_version_id)}
    entries = _entries_table(loaded, definitions, steps, include_pilot, pid_of, version_numbers, seconds)
    return {"participants": participants, "entries": entries, "suggestions": suggestions, "events": events}, info


# ---------------------------------------------------------------- public: tables as DataFrames
def _frame(table: Table):
    import pandas as pd

    data = {}
    for index, column in enumerate(table.columns):
        values = [row[index] for row in table.rows]
        if column.type == "datetime":
            data[column.name] = pd.to_datetime(pd.Series([_utc(v) for v in values], dtype=object), utc=True)
        else:
            data[column.name] = pd.array(values, dtype=DTYPES[column.type])
    return pd.DataFrame(data, columns=table.names)


def build_tables(study: Study, include_pilot: bool = False) -> dict:
    """The three tables as pandas DataFrames (nullable dtypes): participants, suggestions, events."""
    tables, _ = _build(study, include_pilot)
    return {name: _frame(table) for name, table in tables.items()}


# ---------------------------------------------------------------- serialising
def guard_formula(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_cell(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text[:1] in _FORMULA_STARTS else text


_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


def _number_cell(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return "" if value != value else repr(value)  # NaN is missing


_CELL = {
    "boolean": lambda v: "" if v is None else ("true" if v else "false"),
    "datetime": lambda v: "" if v is None else _iso(v),
    "integer": lambda v: "" if v is None else str(int(v)),
    "number": _number_cell,
    "string": _text_cell,
    "json": _text_cell,
}


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.names)
    if table.rows:
        columns = [list(map(_CELL[c.type], values)) for c, values in zip(table.columns, zip(*table.rows))]
        writer.writerows(zip(*columns))
    return buffer.getvalue().encode("utf-8")


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as error:
        raise ExportError("Parquet export needs pyarrow, which is not installed. "
                          "Install it with: pip install 'social-customization-lab[parquet]' "
                          "(or pip install pyarrow), or export with --format csv.") from error
    return pyarrow


def table_parquet(table: Table) -> bytes:
    pa = _pyarrow()
    import pyarrow.parquet as pq

    frame = _frame(table)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


def codebook(tables: dict[str, Table], fmt: str, study: Study, info: dict) -> dict:
    return {
        "study": study.slug,
        "title": study.title,
        "study_versions": info["versions"],
        "conventions": {
            "missing": "empty cell (null in Parquet)",
            "booleans": "true / false",
            "times": "ISO 8601 in UTC with a trailing Z",
            "formula_guard": "in CSV, a text cell starting with = + - @, tab or carriage return is "
                             "prefixed with an apostrophe (') so spreadsheets do not run it",
            "participant_id": "keyed hash, stable within this study, unlinkable across studies",
        },
        "files": {f"{name}.{fmt}": [c.describe() for c in table.columns] for name, table in tables.items()},
    }


def codebook_markdown(book: dict) -> str:
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


def _software_version() -> str:
    from importlib import metadata
    try:
        return metadata.version(SOFTWARE)
    except metadata.PackageNotFoundError:
        return "unknown"


def render_export(study: Study, fmt: str = "csv", include_pilot: bool = False) -> tuple[dict[str, bytes], dict]:
    """Every exported file as bytes (manifest.json last), and the manifest as a dict."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        _pyarrow()
    tables, info = _build(study, include_pilot)
    files: dict[str, bytes] = {}
    for name, table in tables.items():
        files[f"{name}.{fmt}"] = table_csv(table) if fmt == "csv" else table_parquet(table)
    book = codebook(tables, fmt, study, info)
    files["codebook.json"] = (json.dumps(book, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files["codebook.md"] = codebook_markdown(book).encode("utf-8")
    manifest = {
        "study": {"slug": study.slug, "title": study.title, "current_version": info["current_version"],
                  "versions_exported": info["versions"]},
        "exported_at": _iso(datetime.now(timezone.utc)),
        "software": {"name": SOFTWARE, "version": _software_version()},
        "format": fmt,
        "include_pilot": include_pilot,
        "row_counts": {f"{name}.{fmt}": len(table.rows) for name, table in tables.items()},
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in files.items()},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    return files, manifest


# ---------------------------------------------------------------- public: files, zip, CLI
def write_export(study: Study, out_dir, fmt: str = "csv", include_pilot: bool = False) -> dict:
    """Write the export into out_dir (created if needed) and return the manifest."""
    out = Path(out_dir)
    files, manifest = render_export(study, fmt, include_pilot)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        partial = out / f".{name}.partial"
        partial.write_bytes(data)
        partial.replace(out / name)
    return manifest


def export_zip_bytes(study: Study, include_pilot: bool = False, fmt: str = "csv") -> bytes:
    """The same files as write_export, in one zip archive (for the studio download)."""
    files, manifest = render_export(study, fmt, include_pilot)
    stamp = datetime.fromisoformat(manifest["exported_at"].replace("Z", "+00:00")).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{study.slug}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def register_cli(app: Flask) -> None:
    @app.cli.command("export")
    @click.argument("study_slug", metavar="STUDY")
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Directory to write the files into (created if missing).")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
                  help="Table format; the codebook and manifest are always JSON/Markdown.")
    @click.option("--include-pilot", is_flag=True, help="Also export pilot participants (flagged in a 'pilot' column).")
    def export_command(study_slug, out_dir, fmt, include_pilot):
        """Export a study's completed participants, suggestions and events with a codebook."""
        study = db.session.execute(select(Study).where(Study.slug == study_slug)).scalar_one_or_none()
        if study is None:
            known = db.session.execute(select(Study.slug).order_by(Study.slug)).scalars().all()
            raise click.BadParameter(f"no study {study_slug!r}; known studies: {', '.join(known) or 'none'}",
                                     param_hint="STUDY")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            probe = out_dir / ".export-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise click.BadParameter(f"cannot write to {str(out_dir)!r}: {error.strerror or error}",
                                     param_hint="--out") from None
        try:
            manifest = write_export(study, out_dir, fmt, include_pilot)
        except ExportError as error:
            raise click.UsageError(str(error)) from None
        except OSError as error:
            raise click.BadParameter(f"cannot write to {str(out_dir)!r}: {error.strerror or error}",
                                     param_hint="--out") from None
        counts = ", ".join(f"{name}: {n} rows" for name, n in manifest["row_counts"].items())
        click.echo(f"Exported {study.slug} to {out_dir} ({counts}).")
