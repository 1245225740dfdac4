"""One provider's run, in the order of docs/exactness.md: plan what to replace, then stream it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..exactness.checksum import Cell, Checksum, comparable_counts, months_of
from ..exactness.partitions import months_between, places
from ..exactness.window import Windows, run_windows
from ..options import RunSettings
from ..records.batches import ReportBatch
from ..state import Watermarks
from . import grouped, invoices
from .batches import partitions_of, without_months
from .locate import locate_lost
from .progress import Progress
from .reports import GroupedReport, InvoiceReport
from .streams import grouped_months, invoice_months
from .warehouse import ProviderWarehouse


@dataclass(frozen=True)
class Reports:
    """The two reports of one provider, sharing one client (and so one request count)."""

    grouped: GroupedReport
    invoices: InvoiceReport


@dataclass(frozen=True)
class ProviderPlan:
    """Everything one provider's run replaces, decided before the first batch is yielded."""

    grouped: grouped.GroupedPlan
    invoices: invoices.InvoicePlan
    api_counts: Mapping[Cell, int] | None  # the checksum; None for a backfill (no checksum)
    windows: Windows | None = None  # None for a backfill
    watermark: datetime | None = None  # None for a backfill: it leaves the watermarks


def plan_provider(
    reports: Reports, known: ProviderWarehouse, settings: RunSettings, marks: Watermarks
) -> ProviderPlan:
    """Steps 1-10 of docs/exactness.md: an incremental run, or a table's first load."""
    checksum = reports.grouped.checksum()  # 1. invoices per (month, status), and the clock
    clock, overlap, lag = checksum.clock, settings.overlap, settings.lag
    windows = run_windows(marks.grouped, marks.invoices, clock, overlap, lag)  # 2.
    changed = reports.invoices.updated_in(windows.invoices) if windows.invoices else None  # 3.
    if windows.grouped is None:
        found = grouped.first_load(known, checksum.counts)
    else:
        found = _refresh_grouped(reports.grouped, known, settings, checksum, windows, changed)
    if changed is None:
        refreshed = invoices.first_load(known, checksum.counts)
    else:  # 10.
        refreshed = invoices.refresh_invoices(
            reports.invoices, known, checksum.counts, changed, found
        )
    return ProviderPlan(found, refreshed, checksum.counts, windows, windows.watermark)  # 12.


def _refresh_grouped(
    report: GroupedReport,
    known: ProviderWarehouse,
    settings: RunSettings,
    checksum: Checksum,
    windows: Windows,
    changed: list[dict[str, Any]] | None,
) -> grouped.GroupedPlan:
    """Steps 4-9. Exact by 4-6 (every partition a change in the window touched is fetched)
    and by 7 and 9's fallback (a month whose projected counts are off the checksum is
    refreshed whole). How 5 groups requests and how 8 searches only save requests: a wrong
    guess leaves a month off the checksum, and the fallback refreshes it whole."""
    api_counts = comparable_counts(checksum.counts, settings.by_status)
    where = places(changed) if changed is not None else None
    touched = grouped.touched(report, known, settings, windows, where)  # 4.
    plan = grouped.plan_fetches(known, settings, touched)  # 5.
    fetched = report.partitions(plan.fetches)  # 6.
    off = grouped.off_checksum(known, api_counts, fetched, plan.whole_months)  # 7.
    lost = locate_lost(report, known, settings, off, fetched, where, api_counts)  # 8.
    again = grouped.plan_fetches(known, settings, lost.partitions, partitions_of(fetched))
    fetched += report.partitions(again.fetches)  # 9. the second fetch, then the fallback:
    whole = plan.whole_months | lost.whole_months | again.whole_months
    whole |= months_of(grouped.off_checksum(known, api_counts, fetched, whole))
    batches = tuple(without_months(batch, whole) for batch in fetched)
    refreshed = grouped.refreshed_counts(batches, settings)
    return grouped.GroupedPlan(batches, whole, lost.partitions, refreshed, lost.requests)


def plan_fixed(
    backfill: tuple[date, date] | None, months: Iterable[date] | None
) -> ProviderPlan | None:
    """Months replaced whole, the watermark left: the audit's (the more specific), a
    backfill's, or None: an incremental run, planned per provider."""
    if months is not None:
        return plan_months(months)
    if backfill:
        return plan_backfill(*backfill)
    return None


def plan_backfill(first: date, last: date) -> ProviderPlan:
    """Every due month from first's to last's, replaced whole in both tables."""
    return plan_months(months_between(first, last))


def plan_months(months: Iterable[date]) -> ProviderPlan:
    """These due months replaced whole in both tables (a backfill, the audit's re-fetch);
    the watermarks stay."""
    whole = frozenset(months)
    return ProviderPlan(
        grouped.GroupedPlan(whole_months=whole), invoices.InvoicePlan(whole_months=whole), None
    )


def stream(
    plan: ProviderPlan, reports: Reports, known: ProviderWarehouse, progress: Progress
) -> Iterator[ReportBatch]:
    """Step 11: the plan's batches in order, whole months fetched as they are yielded."""
    yield from plan.grouped.batches
    months = plan.grouped.whole_months
    yield from grouped_months(reports.grouped, known, months, plan.api_counts, progress)
    if plan.invoices.batch is not None:
        yield plan.invoices.batch
    months, upserted = plan.invoices.whole_months, plan.invoices.upserted
    counts = plan.api_counts or {}
    yield from invoice_months(reports.invoices, known, months, counts, upserted, progress)
