"""The queries a run asks of TeamUp's two reports, their answers as plain values or batches."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypedDict

from ..api import pages
from ..api.client import QueryResult, ReportClient
from ..api.limits import ordered_map
from ..api.pages import id_key
from ..exactness.checksum import Cell, Checksum
from ..exactness.fetch_plan import PartitionFetch
from ..exactness.partitions import month_bounds, partition_key
from ..exactness.window import Window
from ..exceptions import MalformedResponseError
from ..options import RunSettings
from ..records.batches import GroupedBatch
from ..records.grouped import row_count, row_customer, row_month
from ..records.invoices import MONEY_COLUMNS, invoice_record
from ..settings import (
    CUSTOMER_COLUMNS,
    GROUPED_ENDPOINT,
    INVOICES_ENDPOINT,
    PARTITION_MONTH_COLUMNS,
)

logger = logging.getLogger(__name__)

INVOICE_COLUMNS = (
    "id",
    "number",
    "status",
    "due_date",
    "confirmed_at",
    "paid_at",
    "updated_at",
    "is_credit_note",
    "refunded_invoice.id",
    "customer.id",
    "purchase_type",
    "payment_processor",
    "refund_date",
    *MONEY_COLUMNS,
)
MONTH_AND_STATUS = [*PARTITION_MONTH_COLUMNS, "status"]


def _check_row(row: Any) -> None:
    row_month(row), row_count(row)


def _check_customer_row(row: Any) -> None:
    row_month(row), row_count(row), row_customer(row)


class WindowFilters(TypedDict):
    """The updated_at filters of a window (a TypedDict, so `**` of it names only these keys)."""

    updated_at_gte: str
    updated_at_lte: str


class DueFilters(TypedDict):
    """The due_date filters of a span of months."""

    due_date_gte: str
    due_date_lte: str


def _window_filters(window: Window) -> WindowFilters:
    return {
        "updated_at_gte": window.since.isoformat(timespec="milliseconds"),
        "updated_at_lte": window.until.isoformat(timespec="milliseconds"),
    }


def _due_filters(first_month: date, last_month: date, start_date: date | None) -> DueFilters:
    first, _ = month_bounds(first_month, start_date)
    _, last = month_bounds(last_month)
    return {"due_date_gte": first.isoformat(), "due_date_lte": last.isoformat()}


class GroupedReport:
    """`reports/invoices.grouped/data` for one provider: counts of invoices per group."""

    def __init__(self, client: ReportClient, provider_id: int, settings: RunSettings) -> None:
        self.client, self.provider_id, self.settings = client, provider_id, settings

    def query(
        self, columns: Sequence[str], sort: Sequence[str], checked: bool = True, **filters: Any
    ) -> QueryResult:
        params: dict[str, Any] = {"columns": [*columns, "count"], "sort": list(sort)}
        params["format"] = "json"
        if self.settings.start_date and "due_date_gte" not in filters:
            filters["due_date_gte"] = self.settings.start_date.isoformat()
        params.update({k: v for k, v in filters.items() if v is not None})
        # The planning steps read these rows: a broken one fails as it arrives, naming its
        # query. A month refresh's rows only go to grouped_record, which checks them itself.
        by_customer = any(column in CUSTOMER_COLUMNS for column in columns)
        check = _check_customer_row if by_customer else _check_row
        return self.client.query(GROUPED_ENDPOINT, params, check if checked else None)

    def _month_query(self, month: date, columns: Sequence[str], **filters: Any) -> QueryResult:
        """One due month's invoices grouped (and sorted) by month and `columns`."""
        grouping = [*PARTITION_MONTH_COLUMNS, *columns]
        due = _due_filters(month, month, self.settings.start_date)
        return self.query(grouping, grouping, **due, **filters)

    def _data(self, checked: bool = True, **filters: Any) -> QueryResult:
        """Rows with every configured column, as the table stores them."""
        columns = list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *self.settings.columns]))
        return self.query(columns, self.settings.sort, checked, **filters)

    def checksum(self) -> Checksum:
        """Invoices per (due month, status) as the API counts them now, and its clock."""
        result = self.query(MONTH_AND_STATUS, MONTH_AND_STATUS)
        counts: Counter = Counter()
        for row in result.rows:
            counts[(row_month(row), row.get("status"))] += row_count(row)
        if result.server_time is None:
            # The window would end at this machine's clock: exact only while it agrees with
            # TeamUp's (teamup-etl probe checks it; the rolling audit repairs what it costs).
            logger.warning(
                "TeamUp sent no Date header: the run's window ends at this machine's clock"
            )
        return Checksum(counts, result.server_time or pages.machine_clock())

    def discover(self, window: Window) -> dict[date, set]:
        """Partitions holding invoices updated in the window, by due month."""
        columns = [*PARTITION_MONTH_COLUMNS]
        if self.settings.by_customer:
            columns.append("customer.id")
        result = self.query(columns, columns, **_window_filters(window))
        changed: dict[date, set] = {}
        for row in result.rows:
            who = row_customer(row) if self.settings.by_customer else None
            changed.setdefault(row_month(row), set()).add(who)
        return changed

    def partitions(self, fetches: Sequence[PartitionFetch]) -> list[GroupedBatch]:
        """The planned partition fetches, asked at once, each a batch that replaces them."""
        return list(ordered_map(self._partition_batch, fetches, self.client.max_parallel))

    def _partition_batch(self, fetch: PartitionFetch) -> GroupedBatch:
        result = self._data(
            **_due_filters(fetch.first_month, fetch.last_month, self.settings.start_date),
            customers=list(fetch.customers),  # repeated keys: OpenAPI's default for integer[]
        )
        rows = [r for r in result.rows if (row_customer(r), row_month(r)) in fetch.partitions]
        replaced = {
            partition_key(self.provider_id, month, customer): month
            for customer, month in fetch.partitions
        }
        return GroupedBatch(self.provider_id, rows, replaced, result.column_headers, result.request)

    def months(self, months: Iterable[date]) -> Iterator[QueryResult]:
        """Each month's rows whole, `max_parallel` months at a time, in order."""
        return ordered_map(self._month_data, months, self.client.max_parallel)

    def _month_data(self, month: date) -> QueryResult:
        return self._data(False, **_due_filters(month, month, self.settings.start_date))

    def counts_above(self, probes: Sequence[tuple[date, int]]) -> list[Counter]:
        """For bisection: invoices per status of a due month whose id is above a threshold."""
        return list(ordered_map(self._count_above, probes, self.client.max_parallel))

    def _count_above(self, probe: tuple[date, int]) -> Counter:
        month, threshold = probe
        counts: Counter = Counter()
        by_status = self.settings.by_status
        for row in self._month_query(month, ["status"], id_gt=threshold).rows:
            counts[row.get("status") if by_status else None] += row_count(row)
        return counts

    def customers_of_cells(self, cells: Sequence[Cell]) -> list[dict[int | None, int]]:
        """Invoices per customer of each (due month, status), as the API counts them."""
        return list(ordered_map(self._customers_of_cell, cells, self.client.max_parallel))

    def _customers_of_cell(self, cell: Cell) -> dict[int | None, int]:
        month, status = cell
        result = self._month_query(month, ["customer.id"], status=status)
        return {row_customer(row): row_count(row) for row in result.rows}


class InvoiceReport:
    """`reports/invoices/data` for one provider: one row per invoice, turned into records."""

    def __init__(self, client: ReportClient, provider_id: int, start_date: date | None) -> None:
        self.client, self.provider_id, self.start_date = client, provider_id, start_date

    def query(self, **filters: Any) -> QueryResult:
        """A paged query of the invoice-level report (its rows as the API wrote them)."""
        params: dict[str, Any] = {"columns": list(INVOICE_COLUMNS), "sort": ["id"]}
        params["format"] = "json"
        if self.start_date and "due_date_gte" not in filters:
            filters["due_date_gte"] = self.start_date.isoformat()
        params.update(filters)
        return self.client.query(INVOICES_ENDPOINT, params, key=id_key)

    def records(self, rows: Iterable[dict[str, Any]], request: str) -> list[dict[str, Any]]:
        try:
            return [invoice_record(row, self.provider_id) for row in rows]
        except MalformedResponseError as error:
            raise error.at(request) from None

    def _query_records(self, **filters: Any) -> list[dict[str, Any]]:
        result = self.query(**filters)
        return self.records(result.rows, result.request)

    def updated_in(self, window: Window) -> list[dict[str, Any]]:
        """Invoices updated in the window: asked once per run, before anything is planned."""
        return self._query_records(**_window_filters(window))

    def partitions(self, fetches: Sequence[PartitionFetch]) -> list[dict[str, Any]]:
        """The invoices of the fetched partitions (of those only), asked at once."""
        found = ordered_map(self._partition_records, fetches, self.client.max_parallel)
        return [
            record
            for fetch, records in zip(fetches, found, strict=True)
            for record in records
            if (record["customer_id"], record["due_month"]) in fetch.partitions
        ]

    def _partition_records(self, fetch: PartitionFetch) -> list[dict[str, Any]]:
        return self._query_records(
            **_due_filters(fetch.first_month, fetch.last_month, self.start_date),
            customers=list(fetch.customers),  # repeated keys: OpenAPI's default for integer[]
        )

    def months(self, months: Iterable[date]) -> Iterator[QueryResult]:
        """Each month's invoices whole, `max_parallel` months at a time, in order."""
        return ordered_map(self._month_records, months, self.client.max_parallel)

    def _month_records(self, month: date) -> QueryResult:
        return self.query(**_due_filters(month, month, self.start_date))
