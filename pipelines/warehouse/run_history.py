"""Run history: one row per provider of each load or backfill, beside dlt's own _dlt_loads."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any

from sources.teamup import existing_tables

from .tables import RUN_HISTORY, columns_present, ensure

logger = logging.getLogger(__name__)

HISTORY_TABLE = RUN_HISTORY.name
# A row's outcome. A provider's row: succeeded (its refresh committed) or failed. The run's own
# row (no provider) says running while a load or backfill runs; it goes when the run
# succeeds or its last provider's row says why it failed, else it says failed or
# views_failed (the refreshes committed as their rows say, the views did not build). One
# still running when the next run starts (which holds the lock) never recorded its end:
# that run marks it crashed. A models run's own row: succeeded or failed.
SUCCEEDED, FAILED, VIEWS_FAILED = "succeeded", "failed", "views_failed"
RUNNING, CRASHED = "running", "crashed"
NOT_FINISHED = (
    "no end recorded: still running, or stopped unrecorded (killed, or the machine or the"
    " warehouse went down)"
)
# Tables whose size (the provider's rows) after each run is kept, for `check`'s jumps: a column
# each in RUN_HISTORY (report_columns, the column headers, is no data and not counted).
COUNTED_TABLES = ("invoices", "invoices_grouped", "customers")


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
    provider_id: int | None = None
    invocation_id: str | None = None
    audit_months: int | None = None
    audit_requests: int | None = None
    audit_rows_differed: int | None = None
    audit_detail: str | None = None
    audit_error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCEEDED

    def reason(self) -> str:
        """What went wrong, on one line, as `check` says it."""
        if self.outcome == RUNNING:
            return NOT_FINISHED
        whose = f"provider {self.provider_id}: " if self.provider_id is not None else ""
        return whose + str(self.error)

    @property
    def invocation(self) -> str:
        return self.invocation_id or self.run_id  # rows from before invocations were kept

    def line(self) -> str:
        """One run as `status` lists it."""
        shown = f"{self.started_at:%Y-%m-%d %H:%M:%S}  {self.command:<8} {self.outcome:<12}"
        shown += f" {self.duration_seconds:7.1f}s"
        if self.provider_id is not None:
            shown += f"  provider {self.provider_id}"
        if self.requests is not None:
            shown += f"  {self.requests} requests, {self.months_refreshed or 0} months"
        if self.rows_written is not None:
            shown += f", {self.rows_written} rows written"
        if self.backfill_start:
            shown += f"  due {self.backfill_start}..{self.backfill_end}"
        elif self.window_end:
            shown += f"  updated_at up to {self.window_end:%Y-%m-%d %H:%M}"
        if self.audit_months:
            shown += f"  audit: {self.audit_months} months, {self.audit_requests} requests"
            if self.audit_rows_differed:
                shown += f", DRIFT {self.audit_detail}"
        if self.audit_error:
            shown += f"  audit FAILED: {self.audit_error}"
        if self.error:
            shown += f"  error: {self.error}"
        elif self.outcome == RUNNING:
            shown += f"  {NOT_FINISHED}"
        return shown


def record_run(client: Any, run: RunRecord) -> None:
    """Append the run (through a dlt sql client), with the provider's table sizes now."""
    dataset = client.dataset_name
    present = existing_tables(client, dataset)
    if run.provider_id is not None:
        for table in COUNTED_TABLES:
            if table in present:
                found = client.execute_sql(
                    f"select count(*) from {client.make_qualified_table_name(table)} "
                    "where provider_id = %s",
                    run.provider_id,
                )
                setattr(run, f"{table}_rows", int(found[0][0]))
    ensure(client, RUN_HISTORY)
    history = client.make_qualified_table_name(HISTORY_TABLE)
    values = asdict(run)
    columns = ", ".join(values)
    marks = ", ".join("%s" for _ in values)
    client.execute_sql(f"insert into {history} ({columns}) values ({marks})", *values.values())


def begin_run(client: Any, run: RunRecord, crashed: str) -> None:
    """The run's own row, `running` until the run ends (end_run, or a row of how it failed).
    Rows an earlier run left running never recorded their end: the caller holds the run lock,
    so none is still running; they are marked crashed, with `crashed` as their error."""
    record_run(client, run)
    history = client.make_qualified_table_name(HISTORY_TABLE)
    client.execute_sql(
        f"update {history} set outcome = %s, error = %s where outcome = %s and run_id <> %s",
        CRASHED,
        crashed,
        RUNNING,
        run.run_id,
    )


def end_run(client: Any, run_id: str) -> None:
    """The run's `running` row gone: it ended, and its other rows say how."""
    history = client.make_qualified_table_name(HISTORY_TABLE)
    client.execute_sql(f"delete from {history} where run_id = %s and outcome = %s", run_id, RUNNING)


def record_mismatches(client: Any, invocation_id: str, per_provider: dict[int, int]) -> None:
    """The reconciliation's result, known once every provider is in, onto each row."""
    history = client.make_qualified_table_name(HISTORY_TABLE)
    for provider, count in per_provider.items():
        client.execute_sql(
            f"update {history} set mismatched_months = %s "
            "where invocation_id = %s and provider_id = %s and outcome = 'succeeded'",
            count,
            invocation_id,
            provider,
        )


def last_runs(
    client: Any,
    limit: int = 5,
    outcome: str | None = None,
    command: str | None = None,
    provider_id: int | None = None,
    invocation: str | None = None,
    other_than: str | None = None,
) -> list[RunRecord]:
    """The newest invocations first, each with its own row (no provider's) first, then its
    providers' newest first; optionally only the rows of one outcome, command (or any command
    `other_than` one), provider and invocation (RunRecord.invocation)."""
    if HISTORY_TABLE not in existing_tables(client, client.dataset_name):
        return []
    history = client.make_qualified_table_name(HISTORY_TABLE)
    have = RUN_HISTORY.added_names & columns_present(client, RUN_HISTORY)
    columns = ", ".join(
        f.name if f.name in have or f.name not in RUN_HISTORY.added_names else "null"
        for f in fields(RunRecord)
    )
    by_provider = provider_id is not None and "provider_id" in have
    provider = "provider_id = %s" if by_provider else "%s is null"
    own_first = "(provider_id is null) desc, " if "provider_id" in have else ""
    # as RunRecord.invocation: rows from before invocations were kept are their own
    of_invocation = "coalesce(invocation_id, run_id)" if "invocation_id" in have else "run_id"
    # An invocation's own row started first and is listed first: ordered by when the
    # invocation started, over all its rows (computed before the filters).
    rows = client.execute_sql(
        f"select {columns} from (select *, {of_invocation} as invocation_key, "
        f"min(started_at) over (partition by {of_invocation}) as invocation_started "
        f"from {history}) runs "
        "where outcome = coalesce(%s, outcome) and command = coalesce(%s, command) "
        "and command <> coalesce(%s, '') "
        f"and {provider} and invocation_key = coalesce(%s, invocation_key) "
        f"order by invocation_started desc, {own_first}started_at desc, finished_at desc "
        "limit %s",
        outcome,
        command,
        other_than,
        provider_id,
        invocation,
        int(limit),
    )
    return [RunRecord(*_plain(row)) for row in rows]


def last_invocation(
    client: Any, command: str | None = None, other_than: str | None = None
) -> list[RunRecord]:
    """Every row of the newest teamup-etl command (of this kind, or of any kind but
    `other_than`) that recorded any."""
    newest = last_runs(client, limit=1, command=command, other_than=other_than)
    if not newest:
        return []
    # one row per provider and the run's own: far fewer than the limit
    return last_runs(client, limit=10_000, invocation=newest[0].invocation)


def providers_seen(client: Any) -> list[int]:
    """The providers run_history has rows of, in order."""
    if HISTORY_TABLE not in existing_tables(client, client.dataset_name):
        return []
    if "provider_id" not in columns_present(client, RUN_HISTORY):
        return []
    history = client.make_qualified_table_name(HISTORY_TABLE)
    rows = client.execute_sql(
        f"select distinct provider_id from {history} where provider_id is not null "
        "order by provider_id"
    )
    return [int(p) for (p,) in rows]


def _plain(row: tuple) -> tuple:
    """Values as Python's own types: PostgreSQL's numeric comes back as Decimal."""
    return tuple(float(v) if type(v).__name__ == "Decimal" else v for v in row)
