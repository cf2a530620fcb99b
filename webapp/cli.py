"""Command-line tools registered on the app: `flask --app webapp <command>`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from experiments.definition import EXPERIMENTS_DIR, StudyFileError, load_study

from .extensions import db
from .models import Study
from .studies import load_study_file


def seed_demo() -> None:
    """Load experiments/demo.toml if the demo study is absent (first start)."""
    if db.session.execute(select(Study.id).where(Study.slug == "demo")).first() is None:
        load_study_file(EXPERIMENTS_DIR / "demo.toml")
        db.session.commit()


def register(app: Flask) -> None:
    from .export import register_cli as register_export_cli; register_export_cli(app)
    from .accounts import register_cli as register_account_cli; register_account_cli(app)

    @app.cli.command("init-db")
    def init_db():
        """Bring the schema up to date and seed the demo study (safe to run again)."""
        from .app import prepare_database
        prepare_database(app)
        click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")

    study = AppGroup("study", help="Validate and load study definition files.")
    app.cli.add_command(study)

    @study.command("validate")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    def validate(files):
        """Check study files; every problem is printed with its file and key."""
        failed = False
        for file in files:
            try:
                definition = load_study(file)
            except StudyFileError as error:
                failed = True
                click.echo(str(error), err=True)
            else:
                cells = ", ".join(f"{c.key} (n={c.target_n})" for c in definition.cells)
                click.echo(f"{file}: ok — study {definition.slug!r}, cells {cells}")
        if failed:
            raise SystemExit(2)

    @study.command("load")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("--owner", help="E-mail of the experimenter who owns the study.")
    @click.option("--open", "open_now", is_flag=True,
                  help="Open a new study to participants at once (default: paused, so you can pilot first).")
    def load(file, owner, open_now):
        """Load a study file: a new study, a new version of a changed one, or nothing if unchanged."""
        from .models import Experimenter
        experimenter = None
        if owner:
            experimenter = db.session.execute(select(Experimenter).where(Experimenter.email == owner.lower())).scalar_one_or_none()
            if experimenter is None:
                raise click.BadParameter(f"no experimenter {owner!r}", param_hint="--owner")
        try:
            study, version, created = load_study_file(file, experimenter, "open" if open_now else "paused")
        except StudyFileError as error:
            click.echo(str(error), err=True)
            raise SystemExit(2)
        db.session.commit()
        state = f"version {version.number} created" if created else f"unchanged (version {version.number})"
        click.echo(f"{study.slug}: {state}; status {study.status}; entry link /s/{study.slug}")
        if study.status != "open":
            click.echo("  Pilot each cell in the studio, then open the study there to admit participants.")
