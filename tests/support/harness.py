"""A harness per test: a sandbox, a warehouse, the oracle, and a fresh full load to compare with."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipelines import runs
from pipelines.status import status
from sandbox import Sandbox
from tests.support.oracle import Oracle, Settings
from tests.support.targets import MakeTarget, Target, duckdb_targets

# dlt bookkeeping columns differ between loads by design; everything else must match.
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id", "is_deleted")
TABLE_KEYS = {
    "invoices_grouped": "group_key",
    "customers": "provider_id, id",
    "report_columns": "key",
    "invoices": "provider_id, id",
}


def read_tables(target: Target | Path) -> dict[str, list[tuple]]:
    """Every data row of every table, sorted, without dlt's per-load columns."""
    if isinstance(target, Path):
        target = Target("duckdb", str(target))
    tables: dict[str, list[tuple]] = {}
    for table, key in TABLE_KEYS.items():
        columns = [
            name
            for (name,) in target.rows(
                "select column_name from information_schema.columns "
                "where table_schema = 'teamup' and table_name = ? order by column_name",
                [table],
            )
            if name not in DLT_COLUMNS
        ]
        listed = ", ".join(columns)
        tables[table] = target.rows(f"select {listed} from teamup.{table} order by {key}")
    return tables


class Harness:
    """Runs the real pipeline against a sandbox, as `teamup-etl` would, and inspects results."""

    def __init__(
        self,
        sandbox: Sandbox,
        workdir: Path,
        monkeypatch: pytest.MonkeyPatch,
        make_target: MakeTarget | None = None,
        audit: bool = False,
    ) -> None:
        self.sandbox, self.workdir = sandbox, workdir
        self.make_target = make_target or duckdb_targets(workdir)
        self.target = self.make_target("warehouse")
        self._fresh_runs = 0
        monkeypatch.setenv("SOURCES__TEAMUP__BASE_URL", sandbox.base_url)
        monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", sandbox.token)
        for name, value in self.target.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        # The rolling audit re-fetches months every night: tests of the refresh's own
        # requests count without it; tests/integration/pipeline/test_audit.py and the
        # randomized sequences run with it (audit=True), as shipped.
        if not audit:
            monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "0")
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

    @property
    def database(self) -> Path:
        """The DuckDB file (a DuckDB harness's)."""
        return self.target.path

    def tables(self) -> dict[str, list[tuple]]:
        return read_tables(self.target)

    def oracle(self) -> Oracle:
        """What a load of the sandbox's data now must hold, computed apart from the pipeline."""
        return Oracle(self.sandbox, Settings.configured(self.sandbox))

    def fresh_tables(self, checked: bool = True) -> dict[str, list[tuple]]:
        """What a fresh full load into an empty warehouse of the same kind gives now; unless
        told otherwise, that load is itself checked against the oracle first, so a test
        comparing with it rests on more than the pipeline agreeing with itself."""
        oracle = self.oracle() if checked else None
        self._fresh_runs += 1
        fresh = self.make_target(f"fresh-{self._fresh_runs}")
        pipeline = runs.make_pipeline(
            pipelines_dir=str(self.workdir / f"fresh-{self._fresh_runs}" / "dlt"),
            database=fresh.location,
        )
        runs.load(pipeline)
        if oracle is not None:
            oracle.check(fresh, marts=False)
        return read_tables(fresh)

    def assert_exact(self) -> None:
        """The warehouse holds what the oracle computes from the sandbox's data (raw tables
        and marts), and every column of every table equals a fresh full load's (which covers
        the columns the oracle leaves out: group_key, report_columns)."""
        self.oracle().check(self.target)
        assert self.tables() == self.fresh_tables(checked=False)

    def watermarks(self) -> dict[str, str]:
        return status().watermarks

    def query(self, sql: str, *params: Any) -> list[tuple]:
        return self.target.rows(sql, params)
