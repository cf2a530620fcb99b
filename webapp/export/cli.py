"""``flask --app webapp export STUDY --out DIR [--format csv|parquet] [--include-pilot]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from .formats import FORMATS, write_export
from .queries import study_named, study_slugs
from .tables import ExportError


def _unwritable(out_dir: Path, error: OSError) -> click.BadParameter:
    return click.BadParameter(f"cannot write to {str(out_dir)!r}: {error.strerror or error}", param_hint="--out")


def register_cli(app: Flask) -> None:
    @app.cli.command("export")
    @click.argument("study_slug", metavar="STUDY")
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Directory to write the files into (created if missing).")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
                  help="Table format; the codebook and manifest are always JSON/Markdown.")
    @click.option("--include-pilot", is_flag=True, help="Also export pilot participants (flagged in a 'pilot' column).")
    def export_command(study_slug: str, out_dir: Path, fmt: str, include_pilot: bool) -> None:
        """Export a study's completed participants, suggestions and events with a codebook."""
        study = study_named(study_slug)
        if study is None:
            raise click.BadParameter(f"no study {study_slug!r}; known studies: {', '.join(study_slugs()) or 'none'}",
                                     param_hint="STUDY")
        try:  # refuse an unwritable directory before any work is done
            out_dir.mkdir(parents=True, exist_ok=True)
            probe = out_dir / ".export-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise _unwritable(out_dir, error) from None
        try:
            manifest = write_export(study, out_dir, fmt, include_pilot)
        except ExportError as error:
            raise click.UsageError(str(error)) from None
        except OSError as error:
            raise _unwritable(out_dir, error) from None
        counts = ", ".join(f"{name}: {n} rows" for name, n in manifest["row_counts"].items())
        click.echo(f"Exported {study.slug} to {out_dir} ({counts}).")
