"""The data export: participants, suggestions and the event log of one study, with a codebook.

    flask --app webapp export STUDY --out DIR [--format csv|parquet] [--include-pilot]

The directory receives ``participants`` (completed), ``entries`` (every consented entry,
for attrition), ``suggestions`` and ``events`` tables (CSV or Parquet), ``codebook.json`` /
``codebook.md`` describing every column of every table, and
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

The package, by job: :mod:`.queries` (the database reads), :mod:`.codebook` (pure: every
column with its meaning and its value accessor, one list per table feeding both the
codebook and the rows), :mod:`.tables` (loaded rows to records and tables),
:mod:`.formats` (CSV, Parquet, codebook files, manifest, zip) and :mod:`.cli`.
"""

from ..privacy import export_participant_id as participant_id
from .cli import register_cli
from .codebook import Column, Table, codebook_markdown
from .formats import FORMATS, build_tables, export_zip_bytes, guard_formula, render_export, table_csv, write_export
from .tables import REDACTED, ExportError, _scrub_payload

__all__ = ["FORMATS", "REDACTED", "Column", "ExportError", "Table", "_scrub_payload", "build_tables",
           "codebook_markdown", "export_zip_bytes", "guard_formula", "participant_id", "register_cli",
           "render_export", "table_csv", "write_export"]
