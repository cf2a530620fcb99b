"""The study commands: validate names every problem; load creates versions only when a file changed."""

from pathlib import Path

from sqlalchemy import select

from experiments.definition import EXPERIMENTS_DIR
from webapp.extensions import db
from webapp.models import Study, StudyVersion


def test_validate_accepts_the_shipped_files(app):
    result = app.test_cli_runner().invoke(args=["study", "validate", *map(str, sorted(EXPERIMENTS_DIR.glob("*.toml")))])
    assert result.exit_code == 0, result.output
    assert "demo.toml: ok" in result.output and "visibility_relation.toml: ok" in result.output


def test_validate_reports_file_key_value_and_allowed_values_with_exit_2(app, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text((EXPERIMENTS_DIR / "demo.toml").read_text().replace('rule = "random"', 'rule = "sometimes"'))
    result = app.test_cli_runner().invoke(args=["study", "validate", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}: suggestions.rule: 'sometimes' is not allowed; choose one of 'random', 'adjacent', 'preferred'" in result.output


def test_load_creates_a_version_only_when_the_file_changed(app, tmp_path):
    runner = app.test_cli_runner()
    source = tmp_path / "visibility.toml"
    source.write_text((EXPERIMENTS_DIR / "visibility.toml").read_text())
    first = runner.invoke(args=["study", "load", str(source)]).output
    assert "version 1 created" in first and "status paused" in first
    assert "unchanged (version 1)" in runner.invoke(args=["study", "load", str(source)]).output
    source.write_text(source.read_text().replace("target_n_per_cell = 150", "target_n_per_cell = 120"))
    assert "version 2 created" in runner.invoke(args=["study", "load", str(source)]).output
    with app.app_context():
        study = db.session.execute(select(Study).where(Study.slug == "visibility")).scalar_one()
        numbers = db.session.execute(select(StudyVersion.number).where(StudyVersion.study_id == study.id)).scalars().all()
        assert sorted(numbers) == [1, 2] and study.current_version.number == 2
        assert study.current_version.definition.cells[0].target_n == 120
        assert study.status == "paused"  # a new version does not open a study


def test_load_with_open_admits_participants_at_once(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["study", "load", str(EXPERIMENTS_DIR / "visibility.toml"), "--open"])
    assert "status open" in result.output
    assert "I agree" in app.test_client().get("/s/visibility").get_data(as_text=True)


def test_load_refuses_an_unknown_owner_and_a_broken_file(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["study", "load", str(EXPERIMENTS_DIR / "visibility.toml"), "--owner", "nobody@example.org"])
    assert result.exit_code == 2 and "no experimenter" in result.output
    missing = Path(tmp_path / "nope.toml")
    result = runner.invoke(args=["study", "load", str(missing)])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_init_db_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "Database ready" in result.output
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(Study).where(Study.slug == "demo")).scalar() == 1


def test_load_warns_which_texts_would_stay_english_and_where_to_translate_them(app, tmp_path):
    source = tmp_path / "own.toml"
    source.write_text((EXPERIMENTS_DIR / "visibility.toml").read_text().replace(
        'title = "Design your own dress shirt"', 'title = "Our own shirt study"'))
    output = app.test_cli_runner().invoke(args=["study", "load", str(source)]).output
    assert "version 1 created" in output
    assert "1 text(s) stay English in 'de' ('Our own shirt study'); translate them under [translations.de]" in output
    assert "[translations.ja]" in output
    source.write_text(source.read_text() + '\n[translations.de]\n"Our own shirt study" = "Unsere Hemdenstudie"\n'
                      '\n[translations.ja]\n"Our own shirt study" = "私たちのシャツ調査"\n')
    output = app.test_cli_runner().invoke(args=["study", "load", str(source)]).output
    assert "version 2 created" in output and "Warning" not in output
