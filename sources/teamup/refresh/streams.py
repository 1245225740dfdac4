"""Months refreshed whole, streamed in bounded batches: what replaces a month, fetched in order."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date

from ..exactness.checksum import Cell, checksum_months
from ..exactness.fetch_plan import pages
from ..records.batches import GroupedBatch, InvoiceBatch
from ..settings import ROWS_IN_MEMORY
from .progress import Progress
from .reports import GroupedReport, InvoiceReport
from .warehouse import ProviderWarehouse


def grouped_months(
    report: GroupedReport,
    known: ProviderWarehouse,
    months: Collection[date],
    api_counts: Mapping[Cell, int] | None,
    progress: Progress,
) -> Iterator[GroupedBatch]:
    """Each month whole: its old partitions replaced by what the API has now.

    Without a checksum (a backfill) every month is asked; with one, only those with
    invoices: an empty month just loses its old partitions."""
    provider = report.provider_id
    replaced: dict[date, dict[str, date]] = {month: {} for month in months}
    for key, month in known.partitions_in_months(months).items():
        replaced[month][key] = month
    invoices = checksum_months(api_counts or {})
    asked = [m for m in sorted(months) if api_counts is None or invoices[m]]
    expected = {month: pages(invoices[month]) for month in asked}
    progress.expect("months", len(months), label="grouped")
    progress.expect("pages", sum(expected.values()), label="grouped")
    fetched = report.months(asked)
    for month in sorted(months):
        if month not in expected:  # no invoices now: its old partitions just go
            yield GroupedBatch(provider, [], replaced[month])
        else:
            result = next(fetched)
            # In batches of bounded size: the first replaces the month's partitions, the
            # others add rows (one load: dlt deletes before it inserts any of them).
            for n, rows in enumerate(result.rows.batches(ROWS_IN_MEMORY)):
                old = replaced[month] if n == 0 else {}
                yield GroupedBatch(provider, rows, old, result.column_headers, result.request)
            result.rows.close()
            progress.expect("pages", result.pages - expected[month], label="grouped")
            progress.done("pages", result.pages, label="grouped")
        progress.done("months", label="grouped")


def invoice_months(
    report: InvoiceReport,
    known: ProviderWarehouse,
    months: Collection[date],
    api_counts: Mapping[Cell, int],
    upserted: Collection[int],
    progress: Progress,
) -> Iterator[InvoiceBatch]:
    """Each month whole, in order, in bounded batches; then the loaded invoices of these
    months that no refreshed month (nor `upserted`, the run's other records) holds any more
    are deleted. An invoice re-dated from one refreshed month to another is seen in the
    second, so it stays (see exactness/invoice_ids.py for the rule)."""
    invoices = checksum_months(api_counts)
    ordered = sorted(months)
    # One read for all months; empty on a first load, so a full load holds no ids at all.
    left = known.invoice_ids_in_months(ordered) if ordered else {}
    for invoice in upserted:
        left.pop(invoice, None)
    progress.expect("months", len(ordered), label="invoices")
    progress.expect("pages", sum(pages(invoices[m]) for m in ordered), label="invoices")
    for month, result in zip(ordered, report.months(ordered), strict=True):
        for rows in result.rows.batches(ROWS_IN_MEMORY):  # bounded, however big the month
            records = report.records(rows, result.request)
            for record in records if left else ():
                left.pop(record["id"], None)
            yield InvoiceBatch(report.provider_id, records)
        result.rows.close()
        progress.expect("pages", result.pages - pages(invoices[month]), label="invoices")
        progress.done("pages", result.pages, label="invoices")
        progress.done("months", label="invoices")
    if left:
        yield InvoiceBatch(report.provider_id, [], sorted(left))
