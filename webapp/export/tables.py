"""Loaded rows -> the four tables: pseudonyms, answers, designs, step times, scrubbed payloads.

The columns (and how each cell is read) come from :mod:`webapp.export.codebook`; this
module only prepares one record per row for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..domain.catalogue import MONOGRAM_KEY
from ..models import Study, StudyVersion
from ..privacy import export_participant_id
from .codebook import (
    EntryRecord,
    EventRecord,
    ParticipantRecord,
    SuggestionRecord,
    Table,
    entry_columns,
    event_columns,
    participant_columns,
    suggestion_columns,
)
from .queries import Loaded, load

REDACTED = "[redacted]"
WAITING = "waiting"  # key of the peer wait in the waited-seconds dicts


class ExportError(Exception):
    """The export cannot be produced (e.g. Parquet asked for without pyarrow)."""


def definitions_shaping_columns(study: Study, versions: list[StudyVersion], used_ids: set[int]) -> list:
    """Definitions that shape the columns: every version with exported participants, current first."""
    chosen = [v for v in versions if v.id in used_ids]
    current = next((v for v in versions if v.id == study.current_version_id), None)
    if current is not None and current not in chosen:
        chosen.append(current)
    chosen.sort(key=lambda v: (v.id != study.current_version_id, -v.number))
    return [v.definition for v in chosen]


def _int_or_none(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _scrub_payload(text: str, pid_of: Callable[[int], str]) -> str:
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


def _add_seconds(seconds: dict[int, dict[str, float]], pid: int, step: str, payload: str | None) -> None:
    value = json.loads(payload or "{}").get("seconds")
    if isinstance(value, (int, float)):
        per = seconds.setdefault(pid, {})
        per[step] = round(per.get(step, 0.0) + float(value), 3)


class _Pseudonyms:
    """The export id of each internal row id, computed once per export."""

    def __init__(self, slug: str):
        self.slug = slug
        self.known: dict[int, str] = {}

    def __call__(self, internal: int) -> str:
        if internal not in self.known:
            self.known[internal] = export_participant_id(self.slug, internal)
        return self.known[internal]


def build(study: Study, include_pilot: bool = False) -> tuple[dict[str, Table], dict]:
    """The four tables of one study, and what the manifest says about its versions."""
    loaded = load(study, include_pilot)
    version_numbers = {v.id: v.number for v in loaded.versions}
    definitions = definitions_shaping_columns(study, loaded.versions, {p.version_id for p in loaded.entries})
    if not definitions:
        raise ExportError(f"study {study.slug!r} has no definition loaded")
    pid_of = _Pseudonyms(study.slug)

    seconds: dict[int, dict[str, float]] = {}
    extended: set[int] = set()  # participants who asked for more time (the time_extended event)
    waited: dict[int, dict[str, float]] = {}
    events = []
    for pid, event_id, at, step, kind, payload in loaded.events:
        payload = payload or "{}"
        if kind == "step_completed":
            _add_seconds(seconds, pid, step, payload)
        elif kind == "time_extended":
            extended.add(pid)
        elif kind == "peer_wait_ended":
            _add_seconds(waited, pid, WAITING, payload)
        elif '"target"' in payload or MONOGRAM_KEY in payload:
            payload = _scrub_payload(payload, pid_of)
        events.append(EventRecord(pid_of(pid), event_id, at, step, kind, payload))

    tables = {
        "participants": Table.from_records("participants", participant_columns(definitions, include_pilot),
                                           _participant_records(loaded, pid_of, version_numbers, seconds, waited,
                                                                extended)),
        "entries": Table.from_records("entries", entry_columns(definitions, include_pilot),
                                      _entry_records(loaded, pid_of, version_numbers, seconds, waited, extended)),
        "suggestions": Table.from_records("suggestions", suggestion_columns(definitions),
                                          _suggestion_records(loaded, pid_of)),
        "events": Table.from_records("events", event_columns(), events),
    }
    info = {"versions": sorted({version_numbers[p.version_id] for p in loaded.people}),
            "current_version": version_numbers.get(study.current_version_id or 0)}
    return tables, info


def _participant_records(loaded: Loaded, pid_of, version_numbers: dict, seconds: dict,
                         waited: dict, extended: set[int]) -> list[ParticipantRecord]:
    answers: dict[int, dict[str, Any]] = {}
    for pid, key, num, text in loaded.responses:
        answers.setdefault(pid, {})[key] = _int_or_none(num) if num is not None else (text if text != "" else None)
    definitions = {v.id: v.definition for v in loaded.versions}
    records = []
    for p in loaded.people:
        initial, _ = _design(p.initial_design_json)
        final, monogram = _design(p.final_design_json)
        records.append(ParticipantRecord(
            row=p, pid=pid_of(p.id), version=version_numbers.get(p.version_id), seconds=seconds.get(p.id, {}),
            seconds_waiting=waited.get(p.id, {}).get(WAITING), time_extended=p.id in extended,
            given=answers.get(p.id, {}), definition=definitions[p.version_id], initial=initial, final=final,
            monogram=monogram))
    return records


def _entry_records(loaded: Loaded, pid_of, version_numbers: dict, completed_seconds: dict[int, dict[str, float]],
                   completed_waited: dict[int, dict[str, float]], completed_extended: set[int]) -> list[EntryRecord]:
    seconds, waited, extended = dict(completed_seconds), dict(completed_waited), set(completed_extended)
    for pid, step, kind, payload in loaded.entry_seconds:
        if kind == "peer_wait_ended":
            _add_seconds(waited, pid, WAITING, payload)
        elif kind == "time_extended":
            extended.add(pid)
        else:
            _add_seconds(seconds, pid, step, payload)
    return [EntryRecord(row=e, pid=pid_of(e.id), version=version_numbers.get(e.version_id),
                        seconds=seconds.get(e.id, {}), seconds_waiting=waited.get(e.id, {}).get(WAITING),
                        time_extended=e.id in extended)
            for e in loaded.entries]


def _suggestion_records(loaded: Loaded, pid_of) -> list[SuggestionRecord]:
    return [SuggestionRecord(row=s, pid=pid_of(s.participant_id),
                             suggester=pid_of(s.suggester_id)
                             if s.source == "peer" and s.suggester_id is not None else None)
            for s in loaded.suggestions]
