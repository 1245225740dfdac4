"""The report's reading of the warehouse: the marts' rows, the window, the header's facts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sources.teamup import existing_tables

from ..failures.errors import TeamUpError, WarehouseError
from ..failures.unwrap import unwrap
from ..settings import EtlSettings
from ..warehouse.destination import make_pipeline, reading, shown
from ..warehouse.models import reporting_timezone

MARTS = "teamup_marts"
VIEWS = ("monthly_revenue", "revenue_by_purchase_type", "monthly_invoices", "collection_rate")
# The members section's views: a warehouse built before them gets the report without that
# section and a notice saying why, rather than no report at all.
MEMBER_VIEWS = ("monthly_recurring_revenue", "receivables")
RAW = "teamup"  # dlt's dataset: read only for the time of the last load
LOAD_FIRST = "run `teamup-etl load` first"
# The zone the views were built with, as pipelines/warehouse/models.py writes it into stg_invoices:
# the warehouse's own months, whatever the configuration says today.
# As each engine keeps the view's text: DuckDB rewrites AT TIME ZONE into timezone('zone', x),
# PostgreSQL renders it AT TIME ZONE 'zone'::text.
ZONE_IN_VIEW = re.compile(
    r"(?:at time zone '((?:[^']|'')+)'|timezone\('((?:[^']|'')+)',\s*\(?paid_at)", re.IGNORECASE
)

REVENUE = f"""
select month, provider_id, currency, paid_invoices, gross_revenue, refunds, net_revenue
from {MARTS}.monthly_revenue
where month between %s and %s
order by 1, 2, 3
"""
# counts add up over currencies; money would not, and this chart counts invoices
PAID_BY_TYPE = f"""
select month, provider_id, purchase_type, cast(sum(paid_invoices) as bigint)
from {MARTS}.revenue_by_purchase_type
where month between %s and %s
group by 1, 2, 3
order by 1, 2, 3
"""
STATUSES = f"""
select month, provider_id, status, cast(sum(invoice_count) as bigint)
from {MARTS}.monthly_invoices
where month between %s and %s
group by 1, 2, 3
order by 1, 2, 3
"""
COLLECTION = f"""
select month, provider_id, currency, billed_invoices, paid_invoices,
    billed_amount, paid_amount, unpaid_amount, collection_rate
from {MARTS}.collection_rate
where month between %s and %s
order by 1, 2, 3
"""

MRR = f"""
select month, provider_id, currency, members, mrr, new_members, new_mrr, reactivated_members,
    reactivation_mrr, expansion_mrr, contraction_mrr, churned_members, churned_mrr
from {MARTS}.monthly_recurring_revenue
where month between %s and %s
order by 1, 2, 3
"""
RECEIVABLES = f"""
select provider_id, currency, age_bucket, invoices, customers, amount_due
from {MARTS}.receivables
order by 1, 2, 3
"""


@contextmanager
def connect(database: Path | None, settings: EtlSettings) -> Iterator[tuple[Any, str]]:
    """A dlt sql client for reading, and what the report names as its source; any failure of
    the warehouse becomes a one-line WarehouseError."""
    pipeline = make_pipeline(progress=None, destination=settings.destination)
    where = f"the DuckDB warehouse {database}" if database is not None else shown(pipeline)
    if database is not None and not database.is_file():
        raise WarehouseError(f"no warehouse file at {database}: {LOAD_FIRST}")
    try:
        with reading(pipeline, database, settings.busy_timeout_seconds) as client:
            yield client, str(database) if database is not None else where
    except TeamUpError:
        raise
    except Exception as error:
        raise unwrap(error, where) from error


def check_views(con: Any, source: str) -> set[str]:
    """The views of teamup_marts; WarehouseError if one the report cannot do without is missing."""
    found = {
        name
        for (name,) in con.execute_sql(
            "select table_name from information_schema.tables where table_catalog = "
            "current_database() and table_schema = %s and table_type = 'VIEW'",
            MARTS,
        )
    }
    missing = [name for name in VIEWS if name not in found]
    if missing:
        raise WarehouseError(
            f"{source} has no {MARTS} views to report on ({', '.join(missing)} missing): "
            f"{LOAD_FIRST}"
        )
    return found


@dataclass(frozen=True)
class Marts:
    """The report's rows as read: the months shown and what each chart plots."""

    window: list[date]
    revenue: dict[str, list[tuple]]  # build_charts' rows, by its argument names
    mrr: list[tuple] | None  # from the month before the window; None: the view is missing
    owed: list[tuple] | None  # receivables; None: the view is missing
    providers: list[int]

    @property
    def left_out(self) -> tuple[str, ...]:
        """The members section's views this warehouse lacks."""
        read = (self.mrr, self.owed)
        return tuple(name for name, rows in zip(MEMBER_VIEWS, read, strict=True) if rows is None)


def read_marts(con: Any, months: int, source: str) -> Marts:
    """Every chart's rows over the last `months` months; WarehouseError without the views the
    report cannot do without."""
    found = check_views(con, source)
    shown = window(con, months, source)
    bounds = [shown[0], shown[-1]]
    revenue = {
        "revenue": rows(con, REVENUE, bounds),
        "paid_by_type": rows(con, PAID_BY_TYPE, bounds),
        "statuses": rows(con, STATUSES, bounds),
        "collection": rows(con, COLLECTION, bounds),
    }
    # from the month before the window: the first month's churn rate is over its members
    mrr = (
        rows(con, MRR, [add_months(shown[0], -1), shown[-1]]) if MEMBER_VIEWS[0] in found else None
    )
    owed = rows(con, RECEIVABLES, []) if MEMBER_VIEWS[1] in found else None
    providers = {row[1] for listed in (*revenue.values(), mrr or []) for row in listed}
    providers |= {row[0] for row in owed or []}
    return Marts(shown, revenue, mrr, owed, sorted(providers))


def window(con: Any, months: int, source: str) -> list[date]:
    """The months to show: `months` of them up to the latest with revenue, none before the
    first with data. Without any revenue yet, up to the latest due month."""
    latest = value(con, f"select max(month) from {MARTS}.monthly_revenue")
    everything = f"""
        select month from {MARTS}.monthly_revenue
        union all select month from {MARTS}.monthly_invoices
        union all select month from {MARTS}.collection_rate
    """
    if latest is None:
        latest = value(con, f"select max(month) from ({everything}) as months")
    if latest is None:
        raise WarehouseError(f"{source} holds no invoices yet: {LOAD_FIRST}")
    earliest = value(con, f"select min(month) from ({everything}) as months")
    first = max(add_months(latest, 1 - months), earliest)
    return [add_months(first, n) for n in range(months_apart(first, latest) + 1)]


def rows(con: Any, sql: str, bounds: list[date]) -> list[tuple]:
    return [tuple(row) for row in con.execute_sql(sql, *bounds)]


def value(con: Any, sql: str) -> Any:
    return con.execute_sql(sql)[0][0]


def facts(con: Any, window: list[date], providers: list[int]) -> list[str]:
    """The header line: the months, whose data, in which timezone, as of which load."""
    facts = [f"{window[0]:%B %Y} to {window[-1]:%B %Y} ({len(window)} months)"]
    if providers == [0]:
        facts.append("the token's provider")
    elif providers:
        label = "provider" if len(providers) == 1 else "providers"
        facts.append(f"{label} {', '.join(str(p) for p in providers)}")
    zone = reporting_zone(con)
    facts.append(
        f"payment months in {zone} (the reporting timezone)"
        if zone
        else "payment months in the reporting timezone"
    )
    loaded = last_load(con)
    if loaded is not None:
        facts.append(f"last load {loaded.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    return facts


def reporting_zone(con: Any) -> str | None:
    found = con.execute_sql(
        "select view_definition from information_schema.views where table_catalog = "
        "current_database() and table_schema = 'teamup_staging' and table_name = 'stg_invoices'"
    )
    match = ZONE_IN_VIEW.search(found[0][0]) if found else None
    return (match.group(1) or match.group(2)).replace("''", "'") if match else None


def today(con: Any) -> date:
    """Today in the zone the views were built with (the configured one if it cannot be read)."""
    return datetime.now(ZoneInfo(reporting_zone(con) or reporting_timezone())).date()


def last_load(con: Any) -> datetime | None:
    if "_dlt_loads" not in existing_tables(con, RAW):
        return None
    return value(con, f"select max(inserted_at) from {RAW}._dlt_loads where status = 0")


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_apart(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
