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
from .study_admin import give_demo_an_owner


def seed_demo() -> None:
    """Load experiments/demo.toml if the demo study is absent (first start)."""
    if db.session.execute(select(Study.id).where(Study.slug == "demo")).first() is None:
        load_study_file(EXPERIMENTS_DIR / "demo.toml")
        give_demo_an_owner()  # an account made before the demo was seeded
        db.session.commit()


def register(app: Flask) -> None:
    """Every command group of the app: export, accounts, init-db and study."""
    from .export import register_cli as register_export_cli
    register_export_cli(app)
    from .accounts import register_cli as register_account_cli
    register_account_cli(app)
    _register_init_db(app)
    study = AppGroup("study", help="Validate and load study definition files.")
    app.cli.add_command(study)
    _add_file_commands(study)
    _add_listing_and_status_commands(study)
    _add_copy_and_delete_commands(study)


def _register_init_db(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Bring the schema up to date and seed the demo study (safe to run again)."""
        from .app import prepare_database
        prepare_database(app)
        click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


def _study_or_fail(slug: str) -> Study:
    found = db.session.execute(select(Study).where(Study.slug == slug)).scalar_one_or_none()
    if found is None:
        raise click.ClickException(f"no study {slug!r} (see 'flask --app webapp study list')")
    return found


def _add_file_commands(study: AppGroup) -> None:
    """`study validate` and `study load`: the commands that read study files."""

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
            experimenter = db.session.execute(
                select(Experimenter).where(Experimenter.email == owner.lower())).scalar_one_or_none()
            if experimenter is None:
                raise click.BadParameter(f"no experimenter {owner!r}", param_hint="--owner")
        try:
            study, version, created = load_study_file(file, experimenter, "open" if open_now else "paused")
        except StudyFileError as error:
            click.echo(str(error), err=True)
            raise SystemExit(2) from None
        db.session.commit()
        state = f"version {version.number} created" if created else f"unchanged (version {version.number})"
        click.echo(f"{study.slug}: {state}; status {study.status}; entry link /s/{study.slug}")
        gaps = version.definition.translation_gaps()
        if gaps:
            click.echo(f"  Warning: {gaps}.")
        if study.status != "open":
            click.echo("  Pilot each cell in the studio, then open the study there to admit participants.")


def _add_listing_and_status_commands(study: AppGroup) -> None:
    """`study list` and the status changes (open, pause, close, archive)."""

    @study.command("list")
    def list_studies():
        """Every study: status, current version and participants (test participants apart)."""
        from .study_admin import summaries
        rows = summaries()
        if not rows:
            click.echo("No studies yet: load one with 'study load FILE'.")
            return
        click.echo(f"{'slug':<24} {'status':<9} {'version':>7} {'completed':>9} {'active':>6} {'test':>5}  title")
        for row in rows:
            version = "-" if row.version is None else str(row.version)
            click.echo(f"{row.slug:<24} {row.status:<9} {version:>7} {row.completed:>9} {row.active:>6} "
                       f"{row.test_participants:>5}  {row.title}")

    _add_status_command(study, "open", "Admit participants.")
    _add_status_command(study, "pause", "Stop admitting participants for now; those who started may finish.")
    _add_status_command(study, "close", "Stop admitting participants for good; those who started may finish.")
    _add_status_command(study, "archive", "Close and set aside: admits nobody; data stay until deleted.")


def _add_status_command(study: AppGroup, action: str, help_text: str) -> None:
    @study.command(action, help=help_text)
    @click.argument("slug")
    def command(slug):
        from .study_admin import set_status
        before, after = set_status(_study_or_fail(slug), action)
        db.session.commit()
        click.echo(f"{slug}: {after}" + ("" if before != after else " (unchanged)"))


def _add_copy_and_delete_commands(study: AppGroup) -> None:
    """`study copy`, `study delete` and `study purge-test-data`."""

    @study.command("copy")
    @click.argument("slug")
    @click.argument("new_slug")
    def copy(slug, new_slug):
        """A paused copy of a study's current definition under NEW_SLUG, with the same members."""
        from .study_admin import StudyAdminError, copy_study
        try:
            made = copy_study(_study_or_fail(slug), new_slug)
        except StudyAdminError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(f"{made.slug}: copied from {slug}; status {made.status}; entry link /s/{made.slug}")

    @study.command("delete")
    @click.argument("slug")
    @click.option("--confirm", "confirmation", metavar="SLUG",
                  help="The slug again, to delete without being asked (for scripts).")
    def delete(slug, confirmation):
        """Delete a study with all its versions, participants and data. Cannot be undone."""
        from .study_admin import delete_study
        found = _study_or_fail(slug)
        if confirmation is None:
            confirmation = click.prompt(f"This deletes study {slug!r} and all its data. Type its slug again",
                                        default="", show_default=False)
        if confirmation != slug:
            raise click.ClickException("the slug typed does not match; nothing was deleted")
        n = delete_study(found)
        db.session.commit()
        click.echo(f"{slug}: deleted, with {n} participant(s)")

    @study.command("purge-test-data")
    @click.argument("slug")
    def purge_test_data(slug):
        """Delete the study's pilot and simulated participants; real participants are untouched."""
        from .study_admin import purge_test_data as purge
        counts = purge(_study_or_fail(slug))
        db.session.commit()
        click.echo(f"{slug}: deleted {counts['simulated']} simulated and {counts['pilot']} pilot participant(s)")
