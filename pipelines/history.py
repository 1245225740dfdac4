"""Run history: one row per load or backfill in the warehouse, beside dlt's own _dlt_loads."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

import duckdb

from sources.teamup import existing_tables

logger = logging.getLogger(__name__)

HISTORY_TABLE = "run_history"
# Tables whose size after each run is kept, for `check`'s row-count jumps.
COUNTED_TABLES = ("invoices", "invoices_grouped", "customers")

# Written with plain SQL, not through dlt: a failed run must be recorded too, and dlt's load
# is exactly what failed then. The table belongs to the dataset all the same, so a copy or
# backup of the warehouse carries it.
HISTORY_DDL = """
create table if not exists {table} (
    run_id varchar primary key,
    command varchar not null,           -- load | backfill
    outcome varchar not null,           -- succeeded | failed
    error varchar,                      -- the failure's one line, as the CLI printed it
    started_at timestamptz not null,
    finished_at timestamptz not null,
    duration_seconds decimal(12, 3) not null,
    window_start timestamptz,           -- updated_at window read (load), over all providers
    window_end timestamptz,
    backfill_start date,                -- due dates replaced (backfill)
    backfill_end date,
    months_refreshed bigint,
    partitions_refreshed bigint,
    requests bigint,
    rows_written bigint,                -- rows dlt wrote, tombstones included
    invoices_rows bigint,               -- table sizes after the run
    invoices_grouped_rows bigint,
    customers_rows bigint,
    mismatched_months bigint,           -- due months the reconciliation found differing
    load_ids varchar                    -- dlt's load ids of the run, as in _dlt_loads
)
"""


@dataclass
class RunRecord:
    run_id: str
    command: str
    outcome: str
    error: str | None
    started_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float = 0.0
    window_start: datetime | None = None
    window_end: datetime | None = None
    backfill_start: date | None = None
    backfill_end: date | None = None
    months_refreshed: int | None = None
    partitions_refreshed: int | None = None
    requests: int | None = None
    rows_written: int | None = None
    invoices_rows: int | None = None
    invoices_grouped_rows: int | None = None
    customers_rows: int | None = None
    mismatched_months: int | None = None
    load_ids: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"

    def line(self) -> str:
        """One run as `status` lists it."""
        shown = f"{self.started_at:%Y-%m-%d %H:%M:%S}  {self.command:<8} {self.outcome:<9}"
        shown += f" {self.duration_seconds:7.1f}s"
        if self.requests is not None:
            shown += f"  {self.requests} requests, {self.months_refreshed or 0} months"
        if self.rows_written is not None:
            shown += f", {self.rows_written} rows written"
        if self.backfill_start:
            shown += f"  due {self.backfill_start}..{self.backfill_end}"
        elif self.window_end:
            shown += f"  updated_at up to {self.window_end:%Y-%m-%d %H:%M}"
        if self.error:
            shown += f"  error: {self.error}"
        return shown


def record_run(connection: duckdb.DuckDBPyConnection, dataset: str, run: RunRecord) -> None:
    """Append the run, with the sizes the tables have now."""
    present = existing_tables(connection, dataset)
    for table in COUNTED_TABLES:
        if table in present:
            found = connection.execute(f"select count(*) from {dataset}.{table}").fetchall()
            setattr(run, f"{table}_rows", found[0][0])
    connection.execute(f"create schema if not exists {dataset}")
    connection.execute(HISTORY_DDL.format(table=f"{dataset}.{HISTORY_TABLE}"))
    values = asdict(run)
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    connection.execute(
        f"insert into {dataset}.{HISTORY_TABLE} ({columns}) values ({marks})",
        list(values.values()),
    )


def last_runs(
    connection: duckdb.DuckDBPyConnection,
    dataset: str,
    limit: int = 5,
    outcome: str | None = None,
    command: str | None = None,
) -> list[RunRecord]:
    """The newest runs first, optionally only those of one outcome and command."""
    if HISTORY_TABLE not in existing_tables(connection, dataset):
        return []
    columns = ", ".join(f.name for f in fields(RunRecord))
    rows = connection.execute(
        f"select {columns} from {dataset}.{HISTORY_TABLE} "
        "where outcome = coalesce(?, outcome) and command = coalesce(?, command) "
        "order by started_at desc limit ?",
        [outcome, command, int(limit)],
    ).fetchall()
    return [RunRecord(*row) for row in rows]
