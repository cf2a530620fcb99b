"""Tables to files: CSV (formula-guarded), Parquet, the codebook files, the manifest, the zip."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from ..models import Study
from .codebook import Table, codebook, codebook_markdown
from .tables import ExportError, build

FORMATS = ("csv", "parquet")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SOFTWARE = "social-customization-lab"

# Column types used in the codebook; each maps to a pandas dtype for build_tables/parquet.
DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean",
          "datetime": "datetime64[ns, UTC]", "json": "string"}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def guard_formula(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_cell(value) -> str:
    if value is None:
        return ""
    return guard_formula(value if isinstance(value, str) else str(value))


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


def frame(table: Table):
    """One table as a pandas DataFrame with nullable dtypes (times as UTC)."""
    import pandas as pd

    data = {}
    for index, column in enumerate(table.columns):
        values = [row[index] for row in table.rows]
        if column.type == "datetime":
            data[column.name] = pd.to_datetime(pd.Series([_utc(v) for v in values], dtype=object), utc=True)
        else:
            data[column.name] = pd.array(values, dtype=DTYPES[column.type])
    return pd.DataFrame(data, columns=table.names)


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401  (the submodule must load too)
    except ImportError as error:
        raise ExportError("Parquet export needs pyarrow, which is not installed. "
                          "Install it with: pip install 'social-customization-lab[parquet]' "
                          "(or pip install pyarrow), or export with --format csv.") from error
    return pyarrow


def table_parquet(table: Table) -> bytes:
    pa = _pyarrow()
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame(table), preserve_index=False), buffer)
    return buffer.getvalue()


def _software_version() -> str:
    from importlib import metadata
    try:
        return metadata.version(SOFTWARE)
    except metadata.PackageNotFoundError:
        return "unknown"


def _json_bytes(data: dict, **options) -> bytes:
    return (json.dumps(data, indent=2, **options) + "\n").encode("utf-8")


def render_export(study: Study, fmt: str = "csv", include_pilot: bool = False) -> tuple[dict[str, bytes], dict]:
    """Every exported file as bytes (manifest.json last), and the manifest as a dict."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        _pyarrow()
    tables, info = build(study, include_pilot)
    files: dict[str, bytes] = {}
    for name, table in tables.items():
        files[f"{name}.{fmt}"] = table_csv(table) if fmt == "csv" else table_parquet(table)
    book = codebook(tables, fmt, study.slug, study.title, info["versions"])
    files["codebook.json"] = _json_bytes(book, ensure_ascii=False)
    files["codebook.md"] = codebook_markdown(book).encode("utf-8")
    manifest = {
        "study": {"slug": study.slug, "title": study.title, "current_version": info["current_version"],
                  "versions_exported": info["versions"]},
        "exported_at": _iso(datetime.now(UTC)),
        "software": {"name": SOFTWARE, "version": _software_version()},
        "format": fmt,
        "include_pilot": include_pilot,
        "row_counts": {f"{name}.{fmt}": len(table.rows) for name, table in tables.items()},
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in files.items()},
    }
    files["manifest.json"] = _json_bytes(manifest)
    return files, manifest


def build_tables(study: Study, include_pilot: bool = False) -> dict:
    """The four tables as pandas DataFrames (nullable dtypes): participants, entries, suggestions, events."""
    tables, _ = build(study, include_pilot)
    return {name: frame(table) for name, table in tables.items()}


def write_export(study: Study, out_dir, fmt: str = "csv", include_pilot: bool = False) -> dict:
    """Write the export into out_dir (created if needed) and return the manifest.

    Each file is written beside its final name and renamed, so a reader never sees half a file.
    """
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
