"""Our own tables beside dlt's (run_history, audit_log): each declared once, made by ensure()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sources.teamup import existing_tables

Columns = tuple[tuple[str, str], ...]  # (name, its SQL type and constraints)


@dataclass(frozen=True)
class Table:
    """A table we write with plain SQL through dlt's sql client, not loaded by dlt (a failed
    run must be recorded too, and dlt's load is what failed then). It belongs to the dataset
    all the same, so a copy or backup of the warehouse carries it. Portable SQL: DuckDB and
    PostgreSQL both run it."""

    name: str
    columns: Columns  # as the first release created it
    added: Columns = ()  # since: a table made before gets them the next time it is ensured

    def ddl(self, qualified: str) -> str:
        """The table as the first release created it (ensure() then adds the others)."""
        listed = ",\n    ".join(f"{name} {kind}" for name, kind in self.columns)
        return f"create table if not exists {qualified} (\n    {listed}\n)"

    @property
    def added_names(self) -> set[str]:
        return {name for name, _ in self.added}


def ensure(client: Any, table: Table) -> None:
    """The table in the client's dataset, created if absent, with every column it declares
    (through a dlt sql client)."""
    qualified = client.make_qualified_table_name(table.name)
    if table.name not in existing_tables(client, client.dataset_name):
        if not client.has_dataset():
            client.create_dataset()
        client.execute_sql(table.ddl(qualified))
    have = columns_present(client, table)
    for name, kind in table.added:
        if name not in have:
            client.execute_sql(f"alter table {qualified} add column {name} {kind}")


def columns_present(client: Any, table: Table) -> set[str]:
    """The table's columns as the warehouse has them (an older table lacks the added ones)."""
    return {
        name
        for (name,) in client.execute_sql(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            client.dataset_name,
            table.name,
        )
    }


RUN_HISTORY = Table(
    "run_history",
    columns=(
        ("run_id", "varchar primary key"),
        ("command", "varchar not null"),  # load | backfill | models
        ("outcome", "varchar not null"),  # succeeded | failed | views_failed | running | crashed
        ("error", "varchar"),  # the failure's one line, as the CLI printed it
        ("started_at", "timestamptz not null"),
        ("finished_at", "timestamptz not null"),
        ("duration_seconds", "decimal(12, 3) not null"),
        ("window_start", "timestamptz"),  # updated_at window read (load)
        ("window_end", "timestamptz"),
        ("backfill_start", "date"),  # due dates replaced (backfill)
        ("backfill_end", "date"),
        ("months_refreshed", "bigint"),
        ("partitions_refreshed", "bigint"),
        ("requests", "bigint"),
        ("rows_written", "bigint"),  # rows dlt wrote, tombstones included
        ("invoices_rows", "bigint"),  # the provider's table sizes after the run
        ("invoices_grouped_rows", "bigint"),
        ("customers_rows", "bigint"),
        ("mismatched_months", "bigint"),  # due months the reconciliation found differing
        ("load_ids", "varchar"),  # dlt's load ids of the run, as in _dlt_loads
    ),
    added=(
        ("provider_id", "bigint"),  # whose refresh this row is; null: the run's own row
        ("invocation_id", "varchar"),  # the teamup-etl command this row is part of
        ("audit_months", "bigint"),  # the rolling audit's due months re-fetched whole
        ("audit_requests", "bigint"),  # its requests (not in `requests`)
        ("audit_rows_differed", "bigint"),  # rows it found off TeamUp's: drift, repaired
        ("audit_detail", "varchar"),  # which tables, columns and months
        ("audit_error", "varchar"),  # the audit failed (the refresh itself succeeded): why
    ),
)

# Per provider and due month: when it was last audited, and whether it drifted.
AUDIT_LOG = Table(
    "audit_log",
    columns=(
        ("provider_id", "bigint not null"),
        ("due_month", "date not null"),
        ("audited_at", "timestamptz not null"),
        ("tables_differed", "bigint not null"),  # tables whose rows of the month differed: drift
    ),
)

TABLES = (RUN_HISTORY, AUDIT_LOG)
