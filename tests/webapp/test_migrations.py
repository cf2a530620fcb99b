"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from webapp.extensions import db


def test_migrations_create_the_models_schema_and_can_be_undone(make_app):
    app = make_app(DATABASE_SETUP="migrate")
    with app.app_context():
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"participant", "event", "suggestion", "study", "study_version", "alembic_version"} <= tables
        fks = inspect(db.engine).get_foreign_keys("study")
        assert any(fk["referred_table"] == "study_version" for fk in fks)
        db.session.remove()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()


def test_the_site_starts_on_an_empty_database_and_seeds_the_demo(make_app):
    app = make_app(DATABASE_SETUP="migrate")
    response = app.test_client().get("/s/demo")
    assert response.status_code == 200 and "I agree" in response.get_data(as_text=True)
