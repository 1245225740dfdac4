"""One run of the source, provider by provider: the refreshes in order, watermarks, counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any

from ..api.client import ReportClient
from ..refresh.batches import Batch, RefreshSettings
from ..refresh.grouped_refresh import GroupedRefresh
from ..refresh.invoice_refresh import InvoiceBatch, InvoiceRefresh
from ..refresh.ledger import InvoiceLedger
from ..refresh.progress import Progress
from ..refresh.warehouse import Warehouse
from ..settings import DEFAULT_PROVIDER


@dataclass
class RunStats:
    """Filled in while the source runs; read by the caller afterwards."""

    requests: int = 0
    search_requests: int = 0  # of those, spent finding invoices deleted without a trace
    months_refreshed: int = 0
    partitions_refreshed: int = 0
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    watermarks: dict[str, str] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict) -> RunStats:
        return self  # dlt deep-copies source arguments; this one is shared with the caller


class ProviderRun:
    """One provider's part of a run: the grouped refresh, then the invoice-level one."""

    def __init__(
        self,
        client: ReportClient,
        known: Warehouse,
        pid: int | None,
        settings: RefreshSettings,
        progress: Progress,
        run_stats: RunStats,
    ) -> None:
        self.client, self.progress, self.run_stats = client, progress, run_stats
        self.settings = settings
        self.provider_id = DEFAULT_PROVIDER if pid is None else pid
        self.refresh = GroupedRefresh(client, known, self.provider_id, settings, progress)
        self.invoices = InvoiceRefresh(
            client, known, self.provider_id, settings.start_date, self.refresh.stats, progress
        )

    def steps(
        self, marks: dict[str, dict[str, str]], backfill: tuple[date, date] | None
    ) -> Iterator[Batch | InvoiceBatch]:
        key = str(self.provider_id)
        before = self.run_stats.requests
        if backfill:
            steps = chain(self.refresh.backfill(*backfill), self.invoices.backfill(*backfill))
        else:
            invoice_mark, overlap = _instant(marks["invoices"].get(key)), self.settings.overlap
            ledger = InvoiceLedger(self.invoices, invoice_mark, overlap)
            grouped = self.refresh.load(_instant(marks["invoices_grouped"].get(key)), ledger)
            invoices = self.invoices.load(invoice_mark, overlap, self.settings.lag)
            steps = chain(
                _watermarked(grouped, marks["invoices_grouped"], key, self.run_stats.watermarks),
                _watermarked(invoices, marks["invoices"], key),
            )
        try:
            for item in steps:
                self.progress.requests(before + self.client.requests_made)
                rows = item.rows if isinstance(item, Batch) else item.records
                self.progress.done("rows", len(rows))
                yield item
        finally:
            stats, found = self.run_stats, self.refresh.stats
            stats.requests += self.client.requests_made
            stats.search_requests += found.search_requests
            stats.months_refreshed += len(found.months_refreshed)
            stats.partitions_refreshed += found.partitions_refreshed
            if found.window:
                since, until = found.window
                stats.windows[key] = (since.isoformat(), until.isoformat())


def _watermarked(
    items: Iterator[Any], marks: dict[str, str], key: str, also: dict[str, str] | None = None
) -> Iterator[Any]:
    """A refresh's batches; its last item, the new watermark, goes into the source state."""
    for item in items:
        if isinstance(item, datetime):
            marks[key] = item.isoformat()
            if also is not None:
                also[key] = marks[key]
        else:
            yield item


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
