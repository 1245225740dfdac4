"""Analysts and the load side by side: the published copy, and waiting for a busy file."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import runs
from pipelines.failures.errors import ApiUnavailableError, WarehouseBusyError
from pipelines.warehouse import duckdb_file
from pipelines.warehouse.duckdb_file import duckdb_limits, held_open
from tests.support.cli import analyst_holding, ask_count, assert_one_line_error, etl
from tests.support.harness import read_tables


def copy_of(harness) -> Path:
    return harness.database.with_name("warehouse_analyst.duckdb")


def test_each_run_publishes_a_copy_equal_to_the_warehouse(harness):
    assert not copy_of(harness).exists()
    harness.load()
    assert read_tables(copy_of(harness)) == harness.tables()
    revenue = "select * from teamup_marts.monthly_revenue order by all"
    with duckdb.connect(str(copy_of(harness)), read_only=True) as copy:
        assert copy.execute(revenue).fetchall() == harness.query(revenue)
    assert not list(harness.workdir.glob(".*.tmp"))  # nothing staged is left behind


def test_an_analyst_keeps_the_copy_open_while_the_load_replaces_it(harness):
    harness.load()
    before = len(harness.sandbox.invoices())
    with analyst_holding(copy_of(harness)) as tool:
        assert ask_count(tool) == before
        victim = next(i for i in harness.sandbox.invoices() if i.status != "paid")
        harness.sandbox.delete_invoice(victim.id)
        harness.later()
        harness.load()  # not blocked by the open copy
        assert ask_count(tool) == before  # the analyst's session keeps its snapshot
    assert read_tables(copy_of(harness)) == harness.tables()
    with duckdb.connect(str(copy_of(harness)), read_only=True) as copy:
        assert copy.execute("select count(*) from teamup.invoices").fetchall()[0][0] == before - 1


def test_a_failed_run_leaves_the_copy_as_it_was(harness):
    harness.load()
    published = copy_of(harness).read_bytes()
    harness.later()
    harness.sandbox.faults.fail(times=None, status=500)
    with pytest.raises(ApiUnavailableError):
        harness.load()
    assert copy_of(harness).read_bytes() == published


def test_publishing_can_be_turned_off(harness, monkeypatch):
    monkeypatch.setenv("TEAMUP_ETL__ANALYST_COPY", "")
    harness.load()
    assert not copy_of(harness).exists()


def test_the_copy_goes_where_configured(harness, monkeypatch):
    monkeypatch.setenv("TEAMUP_ETL__ANALYST_COPY", "shared/for_analysts.duckdb")
    harness.load()
    assert read_tables(harness.workdir / "shared" / "for_analysts.duckdb") == harness.tables()


def test_a_load_waits_for_a_busy_file_then_fails_naming_the_lock(harness, monkeypatch):
    harness.load()
    mark = harness.watermarks()
    harness.sandbox.pay(next(i for i in harness.sandbox.invoices() if i.status == "open").id)
    harness.later()
    monkeypatch.setenv("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "1")
    requests = harness.sandbox.log.count()
    with analyst_holding(harness.database) as tool:
        with pytest.raises(WarehouseBusyError) as raised:
            harness.load()
        message = str(raised.value)
        assert f"PID {tool.pid}" in message and str(harness.database) in message
        assert "waited 1s" in message
    assert harness.sandbox.log.count() == requests  # it asked the API nothing
    assert harness.watermarks() == mark


class CloseWhenWaiting(logging.Handler):
    """Closes the analyst's tool when the load says it is waiting for the file (no sooner)."""

    def __init__(self, tool: subprocess.Popen) -> None:
        super().__init__(logging.WARNING)
        self.tool, self.closed = tool, False

    def emit(self, record: logging.LogRecord) -> None:
        if "; waiting" in record.getMessage() and not self.closed:
            self.tool.stdin.close()
            self.closed = True


def test_a_load_waits_while_the_file_is_busy_and_then_runs(harness, monkeypatch, caplog):
    harness.load()
    harness.later()
    monkeypatch.setenv("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "60")
    with analyst_holding(harness.database) as tool:
        # The analyst closes their tool once the load has started waiting for it.
        closer = CloseWhenWaiting(tool)
        logging.getLogger(duckdb_file.__name__).addHandler(closer)
        try:
            summary = harness.load()
        finally:
            logging.getLogger(duckdb_file.__name__).removeHandler(closer)
    assert closer.closed  # the load did wait, and ran once the file was free
    assert summary.mode == "load"
    assert f"is locked by {sys.executable}" in caplog.text or f"(PID {tool.pid})" in caplog.text
    runs = harness.query("select outcome from teamup.run_history order by started_at")
    assert runs == [("succeeded",), ("succeeded",)]


def test_every_connection_of_a_run_shares_its_bounded_duckdb_memory(harness):
    """dlt's own connections, opened while the run holds the file, see the run's limits:
    without them DuckDB's cache grows with the data (the shipped defaults, no .dlt/ here)."""
    harness.load()
    pipeline = runs.make_pipeline()
    with held_open(harness.database, 5, limits=duckdb_limits()), pipeline.sql_client() as client:
        settings = "select current_setting('memory_limit'), current_setting('threads')"
        assert client.execute_sql(settings) == [("61.0 MiB", 1)]  # 64 MB as DuckDB shows it


def test_a_memory_limit_duckdb_refuses_is_one_line_and_exit_2(harness, monkeypatch):
    monkeypatch.setenv("TEAMUP_ETL__DUCKDB_MEMORY_LIMIT", "lots")
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 2
    assert_one_line_error(result, "TEAMUP_ETL__DUCKDB_MEMORY_LIMIT", "lots")
    assert harness.watermarks() == {}
