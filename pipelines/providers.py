"""A franchise's run: each provider refreshed and committed as a load of its own."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import dlt

from sources.teamup import TABLES, RunStats, bind_source, existing_tables, franchise
from sources.teamup.api.limits import RequestGate
from sources.teamup.refresh.sql_warehouse import SqlWarehouse
from sources.teamup.settings import DEFAULT_PROVIDER

from .audit import AuditSettings, audit_provider
from .failures.errors import WarehouseError
from .failures.messages import one_line
from .failures.unwrap import unwrap
from .outcome import ProviderOutcome
from .run_records import Invocation, record_provider
from .settings import EtlSettings

logger = logging.getLogger(__name__)


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
    what committed already: that provider's outcome is the last."""
    shared = franchise()
    audit_settings = AuditSettings.configured(settings)
    outcomes: list[ProviderOutcome] = []
    for done, pid in enumerate(shared.providers):
        stats = RunStats(providers_expected=len(shared.providers), providers_done=done)
        common: dict[str, Any] = {
            "provider_id": None if pid is None else str(pid),
            "loader_file_format": shared.file_format(pipeline.destination.destination_name),
        }
        started_at, started = datetime.now(UTC), time.monotonic()
        teamup_source = bind_source(SqlWarehouse(pipeline.sql_client), stats, shared.gate)
        source = teamup_source(**common, **options)
        provider = DEFAULT_PROVIDER if pid is None else pid
        outcome = _refreshed(pipeline, source, ProviderOutcome(provider, stats), where)
        if outcome.committed:
            logger.info(
                "provider %s committed (%d of %d)", provider, done + 1, len(shared.providers)
            )
            outcome = _audited(
                pipeline, invocation, outcome, common, shared.gate, audit_settings, where
            )
            if not isinstance(outcome.audit_error, WarehouseError):
                prune_customers(pipeline, provider)
        written = record_provider(pipeline, invocation, outcome, started_at, started)
        outcomes.append(replace(outcome, recorded=written))
        if outcome.ends_run:
            break  # the providers after this one have no row: they were not run
    return outcomes


def _refreshed(
    pipeline: dlt.Pipeline, source: Any, outcome: ProviderOutcome, where: str
) -> ProviderOutcome:
    """The provider's refresh, one dlt load: where dlt raises, its error becomes ours."""
    try:
        load_ids = pipeline.run(source).loads_ids
    except Exception as error:
        failure = unwrap(error, where)
        logger.info("provider %s failed: %s", outcome.provider, one_line(failure))
        return replace(outcome, error=failure)
    # read now: the audit's own load becomes the pipeline's last trace
    return replace(outcome, rows_loaded=_rows_loaded(pipeline), load_ids=tuple(load_ids))


def _audited(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    outcome: ProviderOutcome,
    source_options: dict[str, Any],
    gate: RequestGate,
    settings: AuditSettings,
    where: str,
) -> ProviderOutcome:
    """The rolling audit of an incremental night (not a first load, not a backfill): its
    result, or its failure, which leaves the refresh committed: kept apart in `audit_error`,
    so the provider's row and the summary say the refresh succeeded, and what failed after."""
    provider = str(outcome.provider)
    mark = outcome.stats.watermarks.get(provider)
    if invocation.command != "load" or not mark or provider not in outcome.stats.windows:
        return outcome
    try:
        since = datetime.fromisoformat(mark)
        result = audit_provider(pipeline, outcome.provider, source_options, gate, settings, since)
    except Exception as error:
        failure = unwrap(error, where)
        logger.warning(
            "the audit of provider %s failed (its refresh is committed): %s",
            provider,
            one_line(failure),
        )
        return replace(outcome, audit_error=failure)
    if result is None:  # none due tonight
        return outcome
    return replace(outcome, audit=result, load_ids=outcome.load_ids + tuple(result.load_ids))


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
