"""The rolling audit: each night, the months verified least recently re-fetched and compared."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt

from sources.teamup import RunStats, bind_source, existing_tables
from sources.teamup.api.limits import RequestGate
from sources.teamup.exactness.audit import TableDrift, choose_months, nightly_budget
from sources.teamup.exactness.fetch_plan import pages
from sources.teamup.refresh.sql_warehouse import SqlWarehouse

from ..settings import EtlSettings, configured
from .snapshot import MonthSnapshot

logger = logging.getLogger(__name__)

AUDIT_TABLE = "audit_log"  # per provider and due month: when it was last audited, and drift
AUDIT_DDL = """
create table if not exists {table} (
    provider_id bigint not null,
    due_month date not null,
    audited_at timestamptz not null,
    tables_differed bigint not null  -- tables whose rows of the month differed: drift
)
"""


@dataclass(frozen=True)
class AuditSettings:
    cycle_nights: int  # 0: no audit
    max_requests: int

    @classmethod
    def configured(cls, settings: EtlSettings | None = None) -> AuditSettings:
        """[teamup_etl] audit_cycle_nights and audit_max_requests (given, or resolved now)."""
        settings = settings or configured(EtlSettings)
        return cls(settings.audit_cycle_nights, settings.audit_max_requests)


@dataclass(frozen=True)
class AuditResult:
    """One provider's audit of one night: the months re-fetched, at what cost, what differed."""

    months: tuple[date, ...]
    requests: int
    drift: tuple[TableDrift, ...]
    load_ids: tuple[str, ...] = ()  # the re-fetch's own load

    @property
    def rows_differed(self) -> int:
        return sum(table.rows for table in self.drift)

    def detail(self) -> str | None:
        return "; ".join(str(table) for table in self.drift) or None


def audit_provider(
    pipeline: dlt.Pipeline,
    provider: int,
    source_options: dict[str, Any],
    gate: RequestGate,
    settings: AuditSettings,
    settled_since: datetime,
) -> AuditResult | None:
    """Re-fetch this night's months whole (a load of their own, the watermark left) and
    compare them row by row with what the warehouse held. Rows of invoices stamped at or
    after `settled_since` (the night's load began then) changed in TeamUp meanwhile: not
    drift. None when there is nothing to audit (the audit is off, or nothing is loaded)."""
    if settings.cycle_nights == 0:
        return None
    known = SqlWarehouse(pipeline.sql_client)
    costs = _month_costs(known, provider)
    with pipeline.sql_client() as client:
        audited = _last_audited(client, provider)
    months = choose_months(
        costs, audited, nightly_budget(costs, settings.cycle_nights, settings.max_requests)
    )
    if not months:
        known.close()
        return None
    stats = RunStats()
    teamup_source = bind_source(known, stats, gate)
    source = teamup_source(months=months, **source_options)
    # what the warehouse held, kept in the warehouse: a month's rows never come into Python
    with MonthSnapshot(pipeline.sql_client, provider, months) as before:
        try:
            info = pipeline.run(source)
        finally:
            known.close()  # the source closes it too, unless it never ran
        drift = before.compare(settled_since)
    result = AuditResult(tuple(months), stats.requests, drift, tuple(info.loads_ids))
    _record(pipeline, provider, result)
    if drift:
        logger.warning("audit of provider %s found drift: %s", provider, result.detail())
    return result


def _month_costs(known: SqlWarehouse, provider: int) -> dict[date, int]:
    """Each loaded due month's requests to re-fetch whole: its grouped rows' pages and its
    invoices' pages."""
    invoices: Counter[date] = Counter()
    for (month, _status), count in known.invoice_month_status_counts(provider).items():
        invoices[month] += count
    costs = {month: pages(rows) for month, rows in known.month_rows(provider).items()}
    for month, count in invoices.items():
        costs[month] = costs.get(month, 0) + pages(count)
    return costs


def _last_audited(client: Any, provider: int) -> dict[date, str]:
    if AUDIT_TABLE not in existing_tables(client, client.dataset_name):
        return {}
    rows = client.execute_sql(
        f"select due_month, max(audited_at) from {client.make_qualified_table_name(AUDIT_TABLE)}"
        " where provider_id = %s group by due_month",
        provider,
    )
    return {month: at.astimezone(UTC).isoformat() for month, at in rows}


def _record(pipeline: dlt.Pipeline, provider: int, result: AuditResult) -> None:
    """When each month was audited, for the next night's choice (after the re-fetch loaded)."""
    differed = {month: 0 for month in result.months}  # tables with drift in the month
    for table in result.drift:
        for month in table.months & differed.keys():
            differed[month] += 1
    now = datetime.now(UTC)
    with pipeline.sql_client() as client:
        audit = client.make_qualified_table_name(AUDIT_TABLE)
        if AUDIT_TABLE not in existing_tables(client, client.dataset_name):
            client.execute_sql(AUDIT_DDL.format(table=audit))
        with client.begin_transaction():
            client.execute_sql(
                f"delete from {audit} where provider_id = %s "
                "and due_month in (select unnest(cast(%s as date[])))",
                provider,
                list(result.months),
            )
            for month in result.months:
                client.execute_sql(
                    f"insert into {audit} values (%s, %s, %s, %s)",
                    provider,
                    month,
                    now,
                    differed[month],
                )
