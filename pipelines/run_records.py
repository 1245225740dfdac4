"""Every run_history row a run writes: its own (running, then how it ended) and its providers'."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt

from .failures.errors import WarehouseError
from .failures.messages import one_line
from .failures.unwrap import error_line
from .outcome import ProviderOutcome, RunOutcome
from .warehouse.reconcile import MonthMismatch
from .warehouse.run_history import (
    FAILED,
    HISTORY_TABLE,
    RUNNING,
    SUCCEEDED,
    RunRecord,
    begin_run,
    end_run,
    record_mismatches,
    record_run,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """One teamup-etl command: its run_history rows share its id."""

    id: str
    command: str  # load | backfill | models
    started_at: datetime
    backfill_start: date | None = None
    backfill_end: date | None = None

    def record(self, **values: Any) -> RunRecord:
        values.setdefault("run_id", uuid.uuid4().hex)
        values.setdefault("started_at", self.started_at)
        return RunRecord(
            command=self.command,
            backfill_start=self.backfill_start,
            backfill_end=self.backfill_end,
            invocation_id=self.id,
            **values,
        )


def begin(pipeline: dlt.Pipeline, invocation: Invocation) -> None:
    """The run's own row, running until end(); rows earlier runs left running, crashed."""
    marker = invocation.record(
        run_id=invocation.id, outcome=RUNNING, error=None, finished_at=invocation.started_at
    )
    crashed = (
        "ended without recording how (killed, or the machine or the warehouse went down); "
        f"found by the {invocation.command} started {invocation.started_at:%Y-%m-%d %H:%M %Z}"
    )
    with pipeline.sql_client() as client:
        begin_run(client, marker, crashed)


def end(
    pipeline: dlt.Pipeline, invocation: Invocation, started: float, outcome: RunOutcome
) -> None:
    """The run's own row as the outcome says (none: its providers' rows say it); its running
    row gone. Best effort for a failure: a row that cannot be written leaves the run
    running, which the next run marks crashed, never succeeded."""
    if outcome.own_row is not None and not record_own(pipeline, invocation, started, outcome):
        return
    try:
        with pipeline.sql_client() as client:
            end_run(client, invocation.id)
    except Exception as error:
        if outcome.failure is None:
            raise
        logger.info("could not end the run's running row: %s", one_line(error))


def record_own(
    pipeline: dlt.Pipeline, invocation: Invocation, started: float, outcome: RunOutcome
) -> bool:
    """The run's own row (no provider's): succeeded, views_failed or failed, with its line."""
    record = invocation.record(outcome=outcome.own_row or SUCCEEDED, error=outcome.error)
    record.duration_seconds = round(time.monotonic() - started, 3)
    record.finished_at = datetime.now(UTC)
    return record_row(pipeline, record, outcome.failure)


def record_provider(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    outcome: ProviderOutcome,
    started_at: datetime,
    started: float,
) -> bool:
    """A provider's row, as its refresh ended (and its audit), and whether it was written."""
    stats, error = outcome.stats, outcome.error
    record = invocation.record(
        outcome=SUCCEEDED if error is None else FAILED,
        error=None if error is None else error_line(error),
        started_at=started_at,
        provider_id=outcome.provider,
    )
    record.finished_at = datetime.now(UTC)
    record.duration_seconds = round(time.monotonic() - started, 3)
    record.requests = stats.requests
    record.months_refreshed = stats.months_refreshed
    record.partitions_refreshed = stats.partitions_refreshed
    record.rows_written = sum(outcome.rows_loaded.values()) if error is None else None
    if error is None:
        record.load_ids = ",".join(outcome.load_ids)
    # A first load has no window start (it reads everything), only the watermark it set.
    starts = [since for since, _ in stats.windows.values()]
    ends = [until for _, until in stats.windows.values()] + list(stats.watermarks.values())
    record.window_start = min(map(datetime.fromisoformat, starts), default=None)
    record.window_end = max(map(datetime.fromisoformat, ends), default=None)
    if outcome.audit_error is not None:
        record.audit_error = error_line(outcome.audit_error)
    if outcome.audit is not None:
        record.audit_months = len(outcome.audit.months)
        record.audit_requests = outcome.audit.requests
        record.audit_rows_differed = outcome.audit.rows_differed
        record.audit_detail = outcome.audit.detail()
    return record_row(pipeline, record, outcome.failure)


def record_row(pipeline: dlt.Pipeline, row: RunRecord, failure: BaseException | None) -> bool:
    """A run_history row, and whether it was written; best effort for a failure (a
    provider's or the run's own): the history must not hide the failure it records. A
    warehouse error is tried too (a statement it refused: the warehouse may still take the
    row); one that cannot take it is the failure itself."""
    try:
        with pipeline.sql_client() as client:
            record_run(client, row)
    except Exception as error:
        if row.succeeded:
            raise
        # A warehouse that failed is expected to refuse the row too: the error line says it.
        log = logger.info if isinstance(failure, WarehouseError) else logger.warning
        log("could not record the failed run in %s: %s", HISTORY_TABLE, one_line(error))
        return False
    return True


def mismatches(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    providers: Sequence[ProviderOutcome],
    mismatched: Sequence[MonthMismatch],
) -> None:
    """The reconciliation's result, known once every provider is in, onto each committed
    provider's row: its own due months that differ."""
    counts = {p.provider: 0 for p in providers if p.committed}
    for month in mismatched:
        if month.provider_id in counts:
            counts[month.provider_id] += 1
    with pipeline.sql_client() as client:
        record_mismatches(client, invocation.id, counts)
