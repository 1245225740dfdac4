"""The invoice-level report: one row per invoice with its money, kept exact like the groups."""

# Invoices carry updated_at, so a run upserts those changed in the window (a re-dated invoice
# simply moves). What no window shows are deletions: the grouped refresh has already found the
# partitions that lost invoices; their invoice ids are compared with the warehouse's and the
# missing ones deleted (tombstones by id). Last, invoices per (due month, status) are checked
# against the API's checksum; a month still off is re-fetched whole.

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..api.client import QueryResult, ReportClient
from ..api.limits import ordered_map
from ..exactness.partitions import (
    PartitionFetch,
    month_bounds,
    months_between,
    pages,
    plan_partition_fetches,
)
from ..exceptions import MalformedResponseError
from ..records.invoices import MONEY_COLUMNS, invoice_record
from ..refresh.batches import RefreshStats
from ..refresh.progress import Progress
from ..refresh.warehouse import Warehouse
from ..settings import INVOICES_ENDPOINT, ROWS_IN_MEMORY

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


@dataclass
class InvoiceBatch:
    """Invoice records to upsert and invoice ids to delete, for one provider."""

    provider_id: int
    records: list[dict[str, Any]]
    deleted_ids: list[int] = field(default_factory=list)


class InvoiceRefresh:
    """One provider's invoice-level run, following what the grouped refresh found."""

    def __init__(
        self,
        client: ReportClient,
        warehouse: Warehouse,
        provider_id: int,
        start_date: date | None,
        found: RefreshStats,
        progress: Progress | None = None,
    ) -> None:
        self.client, self.warehouse, self.provider_id = client, warehouse, provider_id
        self.start_date, self.found = start_date, found
        self.months_refreshed: set[date] = set()
        self.progress = progress or Progress.silent()
        self._window: tuple[str, str] | None = None
        self._changed: list[dict[str, Any]] = []

    def _query(self, **filters: Any) -> QueryResult:
        """A paged query of the invoice-level report (its rows as the API wrote them)."""
        params: dict[str, Any] = {
            "columns": list(INVOICE_COLUMNS),
            "sort": ["id"],
            "format": "json",
        }
        if self.start_date and "due_date_gte" not in filters:
            filters["due_date_gte"] = self.start_date.isoformat()
        params.update(filters)
        return self.client.query(INVOICES_ENDPOINT, params)

    def _records(self, rows: Iterable[dict[str, Any]], request: str) -> list[dict[str, Any]]:
        try:
            return [invoice_record(row, self.provider_id) for row in rows]
        except MalformedResponseError as error:
            raise error.at(request) from None

    def _query_records(self, **filters: Any) -> list[dict[str, Any]]:
        result = self._query(**filters)
        return self._records(result.rows, result.request)

    def load(
        self, watermark: datetime | None, overlap: timedelta, lag: timedelta
    ) -> Iterator[InvoiceBatch | datetime]:
        """Yield batches, then the new watermark (the same window end as the groups')."""
        api_counts = self.found.api_counts
        until = (self.found.server_now or datetime.now().astimezone()) - lag
        if watermark is None:
            months = {m for m, _ in api_counts} | self.warehouse.invoice_months(self.provider_id)
            yield from self._refresh_months(months)
            yield until
            return
        changed = self.changed_in(watermark - overlap, until)
        checked, deleted = self._check_lost_partitions(self._partitions_short(changed))
        records = {r["id"]: r for r in checked} | {r["id"]: r for r in changed}
        whole = self._months_off_checksum(api_counts, list(records.values()), deleted)
        kept = [r for r in records.values() if r["due_month"] not in whole]
        # An invoice re-dated out of a lost partition is missing there but not gone: a
        # tombstone beside its record (one primary key, one load) would let dlt's dedup
        # pick either, so it is upserted only.
        gone = [i for i, month in deleted.items() if month not in whole and i not in records]
        yield InvoiceBatch(self.provider_id, kept, gone)
        yield from self._refresh_months(whole, upserted=set(records))
        yield until

    def changed_in(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Invoices updated in [since, until]: asked once per run (see ledger.InvoiceLedger)."""
        window = tuple(moment.isoformat(timespec="milliseconds") for moment in (since, until))
        if window != self._window:
            self._changed = self._query_records(updated_at_gte=window[0], updated_at_lte=window[1])
            self._window = window
        return self._changed

    def backfill(self, first: date, last: date) -> Iterator[InvoiceBatch]:
        yield from self._refresh_months(set(months_between(first, last)))

    def _partitions_short(self, changed: list[dict[str, Any]]) -> dict[date, set]:
        """Partitions the grouped run refreshed whose invoices, once this run's changed ones
        are in, would not number what the API counts now: they lost invoices no window shows
        (deleted beside a change that brought the partition into the run). Only their ids can
        tell which, so they are checked with the lost partitions; without this, the month's
        checksum would send the whole month to be fetched again."""
        counts = {p: n for p, n in self.found.refreshed.items() if p[0] is not None}
        if not counts:
            return {}
        where = self.warehouse.invoice_partitions(self.provider_id, counts)
        projected = Counter(where.values())
        for record in changed:
            if record["id"] in where:
                projected[where[record["id"]]] -= 1
            if (record["customer_id"], record["due_month"]) in counts:
                projected[(record["customer_id"], record["due_month"])] += 1
        short: dict[date, set] = {}
        for (customer, month), invoices in counts.items():
            if projected[(customer, month)] != invoices:
                short.setdefault(month, set()).add(customer)
        return short

    def _check_lost_partitions(
        self, short: dict[date, set]
    ) -> tuple[list[dict[str, Any]], dict[int, date]]:
        """Invoices of the partitions that lost some, and the ids that are gone from them."""
        lost = {m: {c for c in cs if c is not None} for m, cs in self.found.lost_partitions.items()}
        for month, customers in short.items():
            lost.setdefault(month, set()).update(customers)
        lost = {m: cs for m, cs in lost.items() if cs}
        if not lost:
            return [], {}
        fetches, _ = plan_partition_fetches(lost, {}, {}, allow_whole_months=False)
        records: list[dict[str, Any]] = []
        for fetch, rows in zip(
            fetches,
            ordered_map(self._partition_records, fetches, self.client.max_parallel),
            strict=True,
        ):
            records += [r for r in rows if (r["customer_id"], r["due_month"]) in fetch.partitions]
        partitions = {(c, m) for m, cs in lost.items() for c in cs}
        present = {r["id"] for r in records}
        known = self.warehouse.invoice_ids(self.provider_id, partitions=partitions)
        return records, {i: month for i, month in known.items() if i not in present}

    def _partition_records(self, fetch: PartitionFetch) -> list[dict[str, Any]]:
        first, _ = month_bounds(fetch.first_month, self.start_date)
        _, last = month_bounds(fetch.last_month)
        return self._query_records(
            due_date_gte=first.isoformat(),
            due_date_lte=last.isoformat(),
            customers=list(fetch.customers),  # repeated keys: OpenAPI's default for integer[]
        )

    def _months_off_checksum(
        self, api_counts: Counter, records: list[dict[str, Any]], deleted: dict[int, date]
    ) -> set[date]:
        """Months whose invoices per status, once this batch is in, differ from the API's."""
        projected = Counter(self.warehouse.invoice_month_status_counts(self.provider_id))
        touched = {r["id"] for r in records} | set(deleted)
        for _, month, status in self.warehouse.invoice_states(self.provider_id, touched).values():
            projected[(month, status)] -= 1
        for record in records:
            projected[(record["due_month"], record["status"])] += 1
        off = {
            month
            for month, status in set(projected) | set(api_counts)
            if projected[(month, status)] != api_counts[(month, status)]
        }
        if off:
            logger.info(
                "provider %s: %d invoice months re-fetched whole", self.provider_id, len(off)
            )
        return off

    def _refresh_months(
        self, months: set[date], upserted: set[int] | None = None
    ) -> Iterator[InvoiceBatch]:
        """Each month whole, `max_parallel` at a time, in order, in bounded batches.

        Loaded invoices of these months that no refreshed month (nor `upserted`, this run's
        other records) holds any more are gone: deleted at the very end. An invoice re-dated
        from one refreshed month to another is missing from the first only, and a tombstone
        beside its record (one primary key, one load) would let dlt's dedup pick either.
        """
        invoices: Counter = Counter()
        for (month, _), n in self.found.api_counts.items():
            invoices[month] += n
        ordered = sorted(months)
        # One read for all months; empty on a first load, so a full load holds no ids at all.
        left = self.warehouse.invoice_ids(self.provider_id, months=set(ordered)) if ordered else {}
        for invoice in upserted or ():
            left.pop(invoice, None)
        self.progress.expect("months", len(ordered), label="invoices")
        self.progress.expect("pages", sum(pages(invoices[m]) for m in ordered), label="invoices")
        fetched = ordered_map(self._month_records, ordered, self.client.max_parallel)
        for month, result in zip(ordered, fetched, strict=True):
            for rows in result.rows.batches(ROWS_IN_MEMORY):  # bounded, however big the month
                records = self._records(rows, result.request)
                for record in records if left else ():
                    left.pop(record["id"], None)
                yield InvoiceBatch(self.provider_id, records)
            result.rows.close()
            self.months_refreshed.add(month)
            self.progress.expect("pages", result.pages - pages(invoices[month]), label="invoices")
            self.progress.done("pages", result.pages, label="invoices")
            self.progress.done("months", label="invoices")
        if left:
            yield InvoiceBatch(self.provider_id, [], sorted(left))

    def _month_records(self, month: date) -> QueryResult:
        first, last = month_bounds(month, self.start_date)
        return self._query(due_date_gte=first.isoformat(), due_date_lte=last.isoformat())
