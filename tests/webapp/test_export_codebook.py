"""The export's codebook is the one list of columns: it describes the files and produces their rows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from webapp.export.codebook import Column, EntryRecord, Table, entry_columns


def test_rows_are_read_by_each_columns_own_accessor():
    columns = [Column("a", "integer", "m", value=lambda r: r["x"] * 2), Column("b", "string", "m",
                                                                            value=lambda r: r["y"].upper())]
    table = Table.from_records("t", columns, [{"x": 1, "y": "p"}, {"x": 3, "y": "q"}])
    assert table.rows == [(2, "P"), (6, "Q")]
    assert table.names == ["a", "b"]


def test_a_column_without_accessor_cannot_silently_produce_cells():
    with pytest.raises(TypeError):
        Table.from_records("t", [Column("a", "integer", "m")], [{}])


def test_the_accessor_is_not_part_of_the_codebook_entry():
    column = Column("a", "integer", "meaning", "values", value=lambda r: 1)
    assert column.describe() == {"name": "a", "type": "integer", "meaning": "meaning", "values": "values"}


def test_entry_columns_read_an_entry_record_into_cells_in_codebook_order(app):
    from webapp.studies import study_by_slug
    with app.app_context():
        definition = study_by_slug("demo").current_version.definition
    columns = entry_columns([definition], include_pilot=True)
    row = SimpleNamespace(visibility="public", relation="friend", status="active", outcome=None, step="design",
                          attention_passed=None, is_simulated=0, is_pilot=1, consented_at=None, entered_at="t0",
                          completed_at=None, deadline_at="t9")
    record = EntryRecord(row=row, pid="abc", version=2, seconds={definition.flow[0]: 4.5})
    cells = dict(zip([c.name for c in columns], Table.from_records("entries", columns, [record]).rows[0]))
    assert cells["participant_id"] == "abc" and cells["study_version"] == 2
    assert cells["pilot"] is True and cells["simulated"] is False
    assert cells["started_at"] == "t0" and cells["deadline_at"] == "t9"
    assert cells["steps_completed"] == 1 and cells[f"seconds_{definition.flow[0]}"] == 4.5
    assert all(cells[f"seconds_{s}"] is None for s in definition.flow[1:])


def test_the_studio_and_the_export_name_a_participant_alike(app):
    """The studio's deletion by export id must accept the id a researcher reads in the export."""
    from webapp.export import participant_id
    from webapp.journey import pseudonym
    from webapp.privacy import export_participant_id
    from webapp.privacy import pseudonym as privacy_pseudonym
    from webapp.studies import study_by_slug
    from webapp.studio.deletion_service import export_id
    with app.app_context():
        study = study_by_slug("demo")
        assert export_id(study, 42) == export_participant_id("demo", 42) == participant_id("demo", 42)
        assert pseudonym("a", "b") == privacy_pseudonym("a", "b")
