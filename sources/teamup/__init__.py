"""dlt source for TeamUp's invoice reports: grouped counts, invoices, customers, column metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict, cast

import dlt
from dlt.common.configuration import known_sections
from dlt.common.configuration.inject import with_config
from dlt.common.schema.typing import TFileFormat, TSchemaContractDict, TWriteDisposition
from dlt.sources import DltResource, DltSource

from . import options
from .api.client import ReportClient
from .api.limits import RequestGate, make_gate
from .options import RunSettings
from .options import provider_ids as parse_provider_ids
from .options import start_date as parse_start_date
from .records.batches import GroupedBatch, ReportBatch
from .records.hints import GROUPED_COLUMN_HINTS, INVOICE_COLUMN_HINTS
from .records.tables import TableRecords
from .records.unforeseen import in_headers, in_invoices
from .refresh.orchestrator import (
    ProviderPlan,
    Reports,
    plan_fixed,
    plan_provider,
    stream,
)
from .refresh.progress import Progress
from .refresh.reports import GroupedReport, InvoiceReport
from .refresh.sql_warehouse import existing_tables
from .refresh.stats import RunStats
from .refresh.warehouse import EmptyWarehouse, ProviderWarehouse, Warehouse
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_LAG_SECONDS,
    DEFAULT_LOADER_FILE_FORMAT,
    DEFAULT_MAX_PARALLEL_REQUESTS,
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    DEFAULT_OVERLAP_SECONDS,
    DEFAULT_PROVIDER,
    DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
    PREFERRED_FILE_FORMATS,
    TABLES,
)
from .state import provider_watermarks, read_watermarks, write_watermark

logger = logging.getLogger(__name__)

# Values arrive as text where the column is typed (records.grouped.as_extract_values): one that
# would not convert to its column's type fails the load, never lands in a variant column.
TYPES_FROZEN: TSchemaContractDict = {"data_type": "freeze"}
CUSTOMER_HINTS: Any = {"name": {"data_type": "text"}, "email": {"data_type": "text"}}


def bind_source(
    warehouse: Warehouse | None = None,
    stats: RunStats | None = None,
    gate: RequestGate | None = None,
) -> Callable[..., DltSource]:
    """The `teamup` source bound to one run's objects. They are not configuration, so not the
    source's arguments: dlt resolves those from config and the environment.

    Args:
        warehouse: what is loaded already (pipeline.sql_client), closed once the source has
            run; nothing: a first load.
        stats: filled with request and refresh counts for the caller's summary; nothing:
            each source call its own.
        gate: the rate limit shared with the run's other sources (see `franchise`); nothing:
            each source call its own, from its two settings.
    """

    @dlt.source(name="teamup", max_table_nesting=0)
    def teamup_source(
        api_token: str = dlt.secrets.value,
        base_url: str = DEFAULT_BASE_URL,
        auth_scheme: str = "Token",
        provider_id: str | None = None,
        start_date: str | None = None,
        grouped_columns: list[str] | None = None,
        overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
        lag_seconds: int = DEFAULT_LAG_SECONDS,
        max_requests_per_second: float | None = DEFAULT_MAX_REQUESTS_PER_SECOND,
        rate_limit_window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
        max_parallel_requests: int = DEFAULT_MAX_PARALLEL_REQUESTS,
        loader_file_format: str = DEFAULT_LOADER_FILE_FORMAT,
        backfill: tuple[date, date] | None = None,
        months: list[date] | None = None,
    ) -> list[DltResource]:
        """TeamUp's invoice reports as four tables, each run exact (docs/exactness.md).

        Args:
            api_token: the TeamUp API token (a secret; never logged).
            base_url: the API root, https://goteamup.com/api/v2 unless testing.
            auth_scheme: "Token" (TeamUp's own) or "Bearer".
            provider_id: one id, or several comma-separated, each loaded with its rows tagged.
            start_date: the earliest due date loaded (YYYY-MM-DD); none: the whole history.
            grouped_columns: the grouped report's attribute columns; every documented one by
                default. (Not `columns`: dlt would also read a bare COLUMNS, the terminal width.)
            overlap_seconds, lag_seconds: the incremental window's margins (see settings.py).
            max_requests_per_second, rate_limit_window_seconds: the client-side rate limit, at
                most rate x window requests in any window, shared by every request of the run
                (retries and all providers included); 0 or None: no limit. Unused when the
                source is bound to a gate.
            max_parallel_requests: queries (months, partition fetches) asked at once.
            loader_file_format: dlt's file format for the tables' load jobs (see settings.py).
            backfill: (first, last) due dates: replace those months, leave the watermark.
            months: these due months replaced whole, the watermark left (the audit's
                re-fetch); like `backfill`, for months that need not be consecutive.
        """
        # Each setting checked before anything is extracted: a package dlt cannot write, say,
        # stays pending and fails every later run until it is dropped.
        settings = options.run_settings(grouped_columns, start_date, overlap_seconds, lag_seconds)
        providers = parse_provider_ids(provider_id)
        api_token = options.api_token(api_token)
        base_url, auth_scheme = options.client_settings(base_url, auth_scheme)
        max_parallel_requests = options.parallel_requests(max_parallel_requests)
        file_format = options.loader_file_format(loader_file_format) or DEFAULT_LOADER_FILE_FORMAT
        limit = options.rate_limit(max_requests_per_second, rate_limit_window_seconds)
        run_stats = stats if stats is not None else RunStats()
        run_gate = gate or make_gate(*limit)
        known: Warehouse = warehouse or EmptyWarehouse()

        # A closure, not resource arguments: dlt would try to inject those from config, token too.
        @dlt.resource(selected=False)
        def report_batches() -> Iterator[ReportBatch]:
            """Both reports' batches, in order; each table's transformer takes its own kind."""
            state, progress = dlt.current.source_state(), Progress()
            if run_stats.providers_expected:
                progress.expect("providers", run_stats.providers_expected)
                progress.done("providers", run_stats.providers_done)
            try:
                fixed = plan_fixed(backfill, months)  # None: an incremental run, per provider
                for pid in providers:
                    client = ReportClient(
                        base_url, api_token, auth_scheme, pid, run_gate, max_parallel_requests
                    )
                    run = ProviderRun(client, pid, known, settings, run_stats, progress)
                    yield from run.batches(state, fixed)
            finally:
                known.close()

        return [report_batches, *_tables(report_batches, TableRecords(settings), file_format)]

    return teamup_source


# Unbound (settings and token from .dlt/ or the environment): a first load, with its own counts
# and rate limit.
teamup_source = bind_source()


@dataclass(frozen=True)
class Franchise:
    """The providers a run loads, each its own load, and the rate limit they share."""

    providers: tuple[int | None, ...]
    gate: RequestGate
    loader_file_format: str | None = None  # None: the destination's preferred

    def file_format(self, destination: str) -> str:
        """The configured loader_file_format, else the one `destination` loads fastest."""
        preferred = PREFERRED_FILE_FORMATS.get(destination, DEFAULT_LOADER_FILE_FORMAT)
        return self.loader_file_format or preferred


# The source's own sections: the same settings resolve here as in teamup_source.
@with_config(sections=(known_sections.SOURCES, "teamup", "teamup"))
def franchise(
    provider_id: str | None = None,
    max_requests_per_second: float | None = DEFAULT_MAX_REQUESTS_PER_SECOND,
    rate_limit_window_seconds: float = DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
    loader_file_format: str | None = None,
) -> Franchise:
    """The configured providers, and one rate limit for all of them: TeamUp counts the
    token's requests, whichever provider's load sends them."""
    return Franchise(
        tuple(parse_provider_ids(provider_id)),
        make_gate(*options.rate_limit(max_requests_per_second, rate_limit_window_seconds)),
        options.loader_file_format(loader_file_format),
    )


class ProviderRun:
    """One provider's part of a run: plan it, stream its batches, then write its watermark
    into the source state (committed with the load, so it moves only with the rows)."""

    def __init__(
        self,
        client: ReportClient,
        pid: int | None,
        known: Warehouse,
        settings: RunSettings,
        stats: RunStats,
        progress: Progress,
    ) -> None:
        provider = DEFAULT_PROVIDER if pid is None else pid
        self.provider, self.client, self.settings = provider, client, settings
        self.stats, self.progress = stats, progress
        self.known = ProviderWarehouse(known, provider)
        self.reports = Reports(
            GroupedReport(client, provider, settings),
            InvoiceReport(client, provider, settings.start_date),
        )

    def batches(self, state: Any, fixed: ProviderPlan | None) -> Iterator[ReportBatch]:
        """`fixed`: months to replace whole (a backfill, an audit); None: an incremental run."""
        before = self.stats.requests
        try:
            if fixed is not None:
                plan = fixed
            else:
                marks = provider_watermarks(state, self.provider)
                plan = plan_provider(self.reports, self.known, self.settings, marks)
            self.stats.planned(self.provider, plan)
            for batch in stream(plan, self.reports, self.known, self.progress):
                self.progress.requests(before + self.client.requests_made)
                rows = batch.rows if isinstance(batch, GroupedBatch) else batch.records
                self.progress.done("rows", len(rows))
                self.stats.unforeseen.update(
                    in_headers(batch.column_headers)
                    if isinstance(batch, GroupedBatch)
                    else in_invoices(batch.records)
                )
                yield batch
            if plan.watermark is not None:  # 12. the new watermark, with this load
                write_watermark(state, self.provider, plan.watermark)
                self.stats.committed(self.provider, plan)
        finally:
            self.stats.requests += self.client.requests_made


class _MergeHints(TypedDict):
    """The dlt.transformer arguments the four tables share."""

    data_from: DltResource
    write_disposition: TWriteDisposition
    file_format: TFileFormat


def _tables(batches: DltResource, records: TableRecords, file_format: str) -> list[DltResource]:
    """The four tables, each a transformer of the run's batches, merged with delete-insert."""
    merge: _MergeHints = {
        "data_from": batches,
        # dlt.transformer's annotation takes only a bare disposition, but it hands the value
        # to the hints that dlt.resource fills, which take this dict (TWriteDispositionConfig)
        "write_disposition": cast(
            "TWriteDisposition", {"disposition": "merge", "strategy": "delete-insert"}
        ),
        "file_format": cast("TFileFormat", file_format),  # one of LOADER_FILE_FORMATS: checked
    }

    @dlt.transformer(
        merge_key="partition_key",
        columns=GROUPED_COLUMN_HINTS,
        schema_contract=TYPES_FROZEN,
        **merge,
    )
    def invoices_grouped(batch: ReportBatch) -> Iterator[list[dict[str, Any]]]:
        yield records.invoices_grouped(batch)

    @dlt.transformer(primary_key=("provider_id", "id"), columns=CUSTOMER_HINTS, **merge)
    def customers(batch: ReportBatch) -> Iterator[list[dict[str, Any]]]:
        yield records.customers(batch)

    @dlt.transformer(primary_key="key", **merge)
    def report_columns(batch: ReportBatch) -> Iterator[list[dict[str, Any]]]:
        yield records.report_columns(batch)

    @dlt.transformer(
        primary_key=("provider_id", "id"),
        columns=INVOICE_COLUMN_HINTS,
        schema_contract=TYPES_FROZEN,
        **merge,
    )
    def invoices(batch: ReportBatch) -> Iterator[list[dict[str, Any]]]:
        yield records.invoices(batch)

    return [invoices_grouped, customers, report_columns, invoices]


__all__ = [
    "TABLES",
    "Franchise",
    "RunStats",
    "bind_source",
    "existing_tables",
    "franchise",
    "parse_provider_ids",
    "parse_start_date",
    "read_watermarks",
    "teamup_source",
]
