"""A franchise's run: each provider refreshed and committed as a load of its own."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import dlt

from sources.teamup import TABLES, RunStats, bind_source, existing_tables, franchise
from sources.teamup.api.limits import RequestGate
from sources.teamup.refresh.sql_warehouse import SqlWarehouse
from sources.teamup.settings import DEFAULT_PROVIDER

from .audit import AuditResult, AuditSettings, audit_provider
from .failures.errors import WarehouseError
from .failures.messages import one_line
from .failures.unwrap import error_line, stops_the_run, unwrap
from .settings import EtlSettings
from .warehouse.run_history import FAILED, HISTORY_TABLE, SUCCEEDED, RunRecord, record_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """One teamup-etl command: its run_history rows share its id."""

    id: str
    command: str  # load | backfill
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


@dataclass
class ProviderOutcome:
    provider: int
    stats: RunStats
    rows_loaded: dict[str, int] = field(default_factory=dict)
    error: BaseException | None = None  # None: committed
    audit: AuditResult | None = None  # None: no audit this run (a first load, a backfill)
    audit_error: BaseException | None = None  # the audit failed; the refresh is committed

    @property
    def failure(self) -> BaseException | None:
        """What went wrong for this provider, the refresh's or else the audit's."""
        return self.error or self.audit_error


def load_providers(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    options: dict[str, Any],
    where: str,
    settings: EtlSettings | None = None,
) -> list[ProviderOutcome]:
    """Every configured provider in turn, each its own dlt load (its rows, its watermark and
    its run_history row commit together), its orphaned customers pruned and, on a night,
    its audit run. A provider TeamUp fails for is recorded and the run goes on; a failure
    the next provider would share (the token, the network, the warehouse) ends the run after
    what committed already (a refresh's marked `recorded`: its provider's row says it)."""
    shared = franchise()
    audit_settings = AuditSettings.configured(settings)
    outcomes: list[ProviderOutcome] = []
    for done, pid in enumerate(shared.providers):
        stats = RunStats(providers_expected=len(shared.providers), providers_done=done)
        provider = DEFAULT_PROVIDER if pid is None else pid
        started_at, started = datetime.now(UTC), time.monotonic()
        common: dict[str, Any] = {
            "provider_id": None if pid is None else str(pid),
            "loader_file_format": shared.file_format(pipeline.destination.destination_name),
        }
        teamup_source = bind_source(SqlWarehouse(pipeline.sql_client), stats, shared.gate)
        source = teamup_source(**common, **options)
        outcome = ProviderOutcome(provider, stats)
        load_ids: list[str] = []
        try:
            load_ids = pipeline.run(source).loads_ids
            # read now: the audit's own load below becomes the pipeline's last trace
            outcome.rows_loaded = _rows_loaded(pipeline)
        except Exception as error:
            outcome.error = unwrap(error, where)
            logger.info("provider %s failed: %s", provider, one_line(outcome.error))
        else:
            logger.info(
                "provider %s committed (%d of %d)", provider, done + 1, len(shared.providers)
            )
            _audit_after_refresh(
                pipeline, invocation, outcome, common, shared.gate, audit_settings, where
            )
            if not isinstance(outcome.audit_error, WarehouseError):
                prune_customers(pipeline, provider)
        outcomes.append(outcome)
        record = _provider_record(invocation, outcome, started_at, started)
        if outcome.error is None:
            audit_loads = outcome.audit.load_ids if outcome.audit else ()
            record.load_ids = ",".join([*load_ids, *audit_loads])
        written = record_row(pipeline, record, outcome.failure)
        if outcome.error is not None:  # the provider's row says failed: the run's need not
            outcome.error.recorded = written  # type: ignore[attr-defined]  # run_records.end
        failure = outcome.failure
        if failure is not None and stops_the_run(failure):
            # An audit's failure ends the run unrecorded: the run's own row then says the run
            # failed (the providers after this one have no row: they were not run).
            raise failure
    return outcomes


def _audit_after_refresh(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    outcome: ProviderOutcome,
    source_options: dict[str, Any],
    gate: RequestGate,
    settings: AuditSettings,
    where: str,
) -> None:
    """The rolling audit of an incremental night (not a first load, not a backfill). Its
    failure leaves the refresh committed: kept apart in `audit_error`, so the provider's row
    and the summary say the refresh succeeded, and what failed after it."""
    provider = str(outcome.provider)
    mark = outcome.stats.watermarks.get(provider)
    if invocation.command != "load" or not mark or provider not in outcome.stats.windows:
        return
    try:
        since = datetime.fromisoformat(mark)
        outcome.audit = audit_provider(
            pipeline, outcome.provider, source_options, gate, settings, since
        )
    except Exception as error:
        outcome.audit_error = unwrap(error, where)
        logger.warning(
            "the audit of provider %s failed (its refresh is committed): %s",
            provider,
            one_line(outcome.audit_error),
        )


def _provider_record(
    invocation: Invocation, outcome: ProviderOutcome, started_at: datetime, started: float
) -> RunRecord:
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
    return record


def record_row(pipeline: dlt.Pipeline, row: RunRecord, failure: BaseException | None) -> bool:
    """A run_history row, and whether it was written; best effort for a failure (a
    provider's or the run's own): the history must not hide the failure it records. A
    warehouse error is tried too (a model the warehouse rejected, a statement it refused:
    the warehouse still takes the row); one that cannot take it is the failure itself."""
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


def _rows_loaded(pipeline: dlt.Pipeline) -> dict[str, int]:
    normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    counts = normalized.row_counts if normalized else {}
    return {table: counts.get(table, 0) for table in TABLES if table in counts}


def prune_customers(pipeline: dlt.Pipeline, provider: int | None = None) -> None:
    """A customer of the provider (None: of any) whose every invoice is gone is not in a
    fresh load either: pruned right after the provider commits (a delete of its own: dlt's
    merge has no "delete what no longer has a parent" across tables)."""
    with pipeline.sql_client() as client:
        customers = client.make_qualified_table_name("customers")
        grouped = client.make_qualified_table_name("invoices_grouped")
        present = existing_tables(client, client.dataset_name)
        if not {"customers", "invoices_grouped"} <= present:
            return
        whose, args = ("c.provider_id = %s and ", [provider]) if provider is not None else ("", [])
        client.execute_sql(
            f"delete from {customers} c where {whose}not exists (select 1 from {grouped} g "
            "where g.provider_id = c.provider_id and g.customer_id = c.id)",
            *args,
        )
