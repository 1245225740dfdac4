"""`teamup-etl report`: the revenue marts as one self-contained HTML file of charts and figures."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sources.teamup import existing_tables

from ..failures.errors import ConfigurationError, TeamUpError, WarehouseError
from ..failures.unwrap import unwrap
from ..warehouse.destination import make_pipeline, reading, shown
from ..warehouse.models import reporting_timezone
from .charts import build_charts
from .figures import mark_to_date, month_label
from .html import render_page

logger = logging.getLogger(__name__)

MARTS = "teamup_marts"
VIEWS = ("monthly_revenue", "revenue_by_purchase_type", "monthly_invoices", "collection_rate")
RAW = "teamup"  # dlt's dataset: read only for the time of the last load
LOAD_FIRST = "run `teamup-etl load` first"
# The zone the views were built with, as pipelines/warehouse/models.py writes it into stg_invoices:
# the warehouse's own months, whatever the configuration says today.
# As each engine keeps the view's text: DuckDB rewrites AT TIME ZONE into timezone('zone', x),
# PostgreSQL renders it AT TIME ZONE 'zone'::text.
ZONE_IN_VIEW = re.compile(
    r"(?:at time zone '((?:[^']|'')+)'|timezone\('((?:[^']|'')+)',\s*\(?paid_at)", re.IGNORECASE
)


@dataclass(frozen=True)
class ReportSummary:
    """What was written: the file, its charts and the months they cover."""

    path: Path
    charts: int
    first_month: date
    last_month: date

    @property
    def months(self) -> int:
        return _months_apart(self.first_month, self.last_month) + 1

    def line(self) -> str:
        return (
            f"report: {self.charts} charts, {month_label(self.first_month)}.."
            f"{month_label(self.last_month)}, written to {self.path}"
        )


def write_report(
    database: str | Path | None, path: str | Path, months: int = 24, today: date | None = None
) -> ReportSummary:
    """Write the report of the last `months` months of the warehouse to path, atomically.

    `database`: a DuckDB file (opened read only: it may be an analyst's copy); None: the
    configured warehouse, whichever destination. The window ends at the latest month with
    revenue (payments or refunds), so months whose invoices are only scheduled do not stretch
    it. `today`'s month, if the window shows it, is marked as to date in every chart; None:
    today in the reporting timezone (tests pass the sandbox's). No views yet raises
    WarehouseError saying to load first.
    """
    if months < 1:
        raise ConfigurationError(f"a report covers at least one month, not {months}")
    target = Path(path)
    with _connect(None if database is None else Path(database)) as (con, source):
        _check_views(con, source)
        window = _window(con, months, source)
        bounds = [window[0], window[-1]]
        rows = {
            "revenue": _rows(con, REVENUE, bounds),
            "paid_by_type": _rows(con, PAID_BY_TYPE, bounds),
            "statuses": _rows(con, STATUSES, bounds),
            "collection": _rows(con, COLLECTION, bounds),
        }
        providers = sorted({row[1] for found in rows.values() for row in found})
        facts = _facts(con, window, providers)
        today = today or _today(con)
    charts = [
        mark_to_date(chart, today) for chart in build_charts(window, **rows, providers=providers)
    ]
    label = Path(database).name if database is not None else source
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = render_page(
        "TeamUp revenue report",
        facts,
        charts,
        f"Made by teamup-etl report from {label} on {generated}, from the views of "
        f"{MARTS}. Money is exact to the cent; each chart's figures are in the table under it.",
    )
    _write_atomically(target, page)
    summary = ReportSummary(target, len(charts), window[0], window[-1])
    logger.info("%s", summary.line())
    return summary


# -- the warehouse ---------------------------------------------------------------------------

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


@contextmanager
def _connect(database: Path | None) -> Iterator[tuple[Any, str]]:
    """A dlt sql client for reading, and what the report names as its source; any failure of
    the warehouse becomes a one-line WarehouseError."""
    pipeline = make_pipeline(progress=None)
    where = f"the DuckDB warehouse {database}" if database is not None else shown(pipeline)
    if database is not None and not database.is_file():
        raise WarehouseError(f"no warehouse file at {database}: {LOAD_FIRST}")
    try:
        with reading(pipeline, database) as client:
            yield client, str(database) if database is not None else where
    except TeamUpError:
        raise
    except Exception as error:
        raise unwrap(error, where) from error


def _check_views(con: Any, source: str) -> None:
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


def _window(con: Any, months: int, source: str) -> list[date]:
    """The months to show: `months` of them up to the latest with revenue, none before the
    first with data. Without any revenue yet, up to the latest due month."""
    latest = _value(con, f"select max(month) from {MARTS}.monthly_revenue")
    everything = f"""
        select month from {MARTS}.monthly_revenue
        union all select month from {MARTS}.monthly_invoices
        union all select month from {MARTS}.collection_rate
    """
    if latest is None:
        latest = _value(con, f"select max(month) from ({everything}) as months")
    if latest is None:
        raise WarehouseError(f"{source} holds no invoices yet: {LOAD_FIRST}")
    earliest = _value(con, f"select min(month) from ({everything}) as months")
    first = max(_add_months(latest, 1 - months), earliest)
    return [_add_months(first, n) for n in range(_months_apart(first, latest) + 1)]


def _rows(con: Any, sql: str, bounds: list[date]) -> list[tuple]:
    return [tuple(row) for row in con.execute_sql(sql, *bounds)]


def _value(con: Any, sql: str) -> Any:
    return con.execute_sql(sql)[0][0]


def _facts(con: Any, window: list[date], providers: list[int]) -> list[str]:
    """The header line: the months, whose data, in which timezone, as of which load."""
    facts = [f"{window[0]:%B %Y} to {window[-1]:%B %Y} ({len(window)} months)"]
    if providers == [0]:
        facts.append("the token's provider")
    elif providers:
        label = "provider" if len(providers) == 1 else "providers"
        facts.append(f"{label} {', '.join(str(p) for p in providers)}")
    zone = _reporting_zone(con)
    facts.append(
        f"payment months in {zone} (the reporting timezone)"
        if zone
        else "payment months in the reporting timezone"
    )
    loaded = _last_load(con)
    if loaded is not None:
        facts.append(f"last load {loaded.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    return facts


def _reporting_zone(con: Any) -> str | None:
    found = con.execute_sql(
        "select view_definition from information_schema.views where table_catalog = "
        "current_database() and table_schema = 'teamup_staging' and table_name = 'stg_invoices'"
    )
    match = ZONE_IN_VIEW.search(found[0][0]) if found else None
    return (match.group(1) or match.group(2)).replace("''", "'") if match else None


def _today(con: Any) -> date:
    """Today in the zone the views were built with (the configured one if it cannot be read)."""
    return datetime.now(ZoneInfo(_reporting_zone(con) or reporting_timezone())).date()


def _last_load(con: Any) -> datetime | None:
    if "_dlt_loads" not in existing_tables(con, RAW):
        return None
    return _value(con, f"select max(inserted_at) from {RAW}._dlt_loads where status = 0")


# -- the file --------------------------------------------------------------------------------


def _write_atomically(target: Path, text: str) -> None:
    """Readers see the old report or the whole new one, never a part: a temporary file beside
    it (same file system) is written, synced, then renamed over it."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        # os.open applies the umask as any new file would get it (mkstemp would give 0600)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            temporary.unlink()
        raise


# -- months ----------------------------------------------------------------------------------


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months_apart(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month
