"""A harness per test: a sandbox, a warehouse file, and a fresh full load to compare with."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines import runs
from pipelines.status import status
from sandbox import Sandbox

# dlt bookkeeping columns differ between loads by design; everything else must match.
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id", "is_deleted")
TABLE_KEYS = {
    "invoices_grouped": "group_key",
    "customers": "provider_id, id",
    "report_columns": "key",
    "invoices": "provider_id, id",
}


def read_tables(database: Path) -> dict[str, list[tuple]]:
    """Every data row of every table, sorted, without dlt's per-load columns."""
    tables: dict[str, list[tuple]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for table, key in TABLE_KEYS.items():
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'teamup' and table_name = ? order by column_name",
                    [table],
                ).fetchall()
                if name not in DLT_COLUMNS
            ]
            listed = ", ".join(columns)
            tables[table] = con.execute(
                f"select {listed} from teamup.{table} order by {key}"
            ).fetchall()
    return tables


class Harness:
    """Runs the real pipeline against a sandbox, as `teamup-etl` would, and inspects results."""

    def __init__(self, sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sandbox, self.workdir = sandbox, workdir
        self.database = workdir / "warehouse.duckdb"
        self._fresh_runs = 0
        monkeypatch.setenv("SOURCES__TEAMUP__BASE_URL", sandbox.base_url)
        monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", sandbox.token)
        monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(self.database))
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        # Retries stay real but quick: a test of persistent failure should not wait a minute.
        monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "4")
        monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")
        monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "2")

    def load(self) -> runs.RunSummary:
        return runs.load()

    def backfill(self, first: date, last: date) -> runs.RunSummary:
        return runs.backfill(first, last)

    def settled(self) -> None:
        """Where a night starts: a full load, a second one an hour later, then a few minutes."""
        self.load()
        self.later(minutes=60)
        self.load()
        self.later()

    def invoice_month_refetches(self) -> list:
        """Invoice-level requests since the log was cleared that read a month whole (neither
        the updated_at window nor a `customers` fetch of some partitions)."""
        return [
            e
            for e in self.sandbox.log.requests("invoices")
            if "customers" not in e.info.params and "updated_at_gte" not in e.info.params
        ]

    def later(self, minutes: int = 5) -> None:
        """Move the sandbox clock on, as the next night would."""
        self.sandbox.clock.advance(minutes=minutes)

    def tables(self) -> dict[str, list[tuple]]:
        return read_tables(self.database)

    def fresh_tables(self) -> dict[str, list[tuple]]:
        """What a fresh full load into an empty database gives now."""
        self._fresh_runs += 1
        fresh = self.workdir / f"fresh-{self._fresh_runs}"
        pipeline = runs.make_pipeline(
            pipelines_dir=str(fresh / "dlt"), database=str(fresh / "warehouse.duckdb")
        )
        runs.load(pipeline)
        return read_tables(fresh / "warehouse.duckdb")

    def assert_exact(self) -> None:
        assert self.tables() == self.fresh_tables()

    def watermarks(self) -> dict[str, str]:
        return status().watermarks

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()
