"""Our own tables' declarations: run_history holds every field of a RunRecord, once."""

from __future__ import annotations

from dataclasses import fields

from pipelines.warehouse.run_history import RunRecord
from pipelines.warehouse.tables import AUDIT_LOG, RUN_HISTORY, TABLES


def test_run_history_declares_each_field_a_run_record_inserts():
    declared = [name for name, _ in RUN_HISTORY.columns + RUN_HISTORY.added]
    assert declared == [field.name for field in fields(RunRecord)]


def test_no_table_declares_a_column_twice():
    for table in TABLES:
        names = [name for name, _ in table.columns + table.added]
        assert len(names) == len(set(names)), table.name


def test_a_table_is_created_as_its_first_release_was_then_given_the_added_columns():
    ddl = RUN_HISTORY.ddl("teamup.run_history")
    assert ddl.startswith("create table if not exists teamup.run_history (\n    run_id varchar")
    assert "load_ids varchar\n)" in ddl and "provider_id" not in ddl
    assert RUN_HISTORY.added_names >= {"provider_id", "invocation_id", "audit_error"}
    assert "tables_differed bigint not null\n)" in AUDIT_LOG.ddl("teamup.audit_log")
