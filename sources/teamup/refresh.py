"""Which partitions of the grouped report a run re-fetches, and the batches it loads.

The report has no updated_at on its rows and counts invoices per group, so appending each
night's counts is wrong. A run instead replaces whole partitions, (due month, customer):
- discovery: the report grouped by customer and due month over the updated_at window names
  the partitions holding invoices changed since the watermark;
- those partitions are re-fetched (few requests, see partitions.plan_partition_fetches);
- a checksum, invoices per (due month, status), is compared with what the warehouse will
  hold after that; a month that differs lost invoices no window can show (deleted, or
  re-dated into another month) and is refreshed whole;
- every refreshed partition is replaced: a tombstone deletes its old rows, then its new rows
  are inserted (dlt merge, delete-insert on partition_key, hard_delete on tombstones).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from .client import QueryResult, ReportClient
from .exceptions import MalformedResponseError
from .normalize import canonical, row_count, row_customer, row_month
from .partitions import (
    Partition,
    PartitionFetch,
    customer_of_key,
    month_bounds,
    months_between,
    pages,
    partition_key,
    plan_partition_fetches,
)
from .settings import CUSTOMER_COLUMNS, GROUPED_ENDPOINT, PARTITION_MONTH_COLUMNS
from .warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshSettings:
    columns: tuple[str, ...]  # attribute columns, as configured
    start_date: date | None
    overlap: timedelta
    lag: timedelta

    @property
    def by_customer(self) -> bool:
        return any(column in CUSTOMER_COLUMNS for column in self.columns)

    @property
    def sort(self) -> list[str]:
        """Every grouping column, so offset paging walks one fixed order."""
        keys = [canonical(column) for column in self.columns]
        return list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *keys]))


@dataclass
class Batch:
    """Rows to load for one provider, and the partitions they replace."""

    provider_id: int
    rows: list[dict[str, Any]]
    replaced: dict[str, date]  # partition_key -> due month, each deleted before the insert
    column_headers: list[dict[str, Any]] = field(default_factory=list)
    request: str = ""  # the query that fetched the rows, named when one turns out malformed


@dataclass
class RefreshStats:
    """What a run found and did; the invoice-level refresh follows the same findings."""

    months_refreshed: set[date] = field(default_factory=set)
    partitions_refreshed: int = 0
    window: tuple[datetime, datetime] | None = None
    api_counts: Counter = field(default_factory=Counter)
    server_now: datetime | None = None
    lost_partitions: dict[date, set] = field(default_factory=dict)  # deficits localized


class GroupedRefresh:
    """One provider's run over the grouped report: `load` (incremental) or `backfill`."""

    def __init__(
        self,
        client: ReportClient,
        warehouse: Warehouse,
        provider_id: int,
        settings: RefreshSettings,
    ) -> None:
        self.client, self.warehouse, self.provider_id = client, warehouse, provider_id
        self.settings = settings
        self.stats = RefreshStats()

    @cached_property
    def _month_rows(self) -> dict[date, int]:
        """Groups per due month in the warehouse: read once, nothing writes it during a run."""
        return self.warehouse.month_rows(self.provider_id)

    # -- queries -------------------------------------------------------------------------------

    def _query(self, columns: Sequence[str], sort: Sequence[str], **filters: Any) -> QueryResult:
        params: dict[str, Any] = {"columns": [*columns, "count"], "sort": list(sort)}
        params["format"] = "json"
        if self.settings.start_date and "due_date_gte" not in filters:
            filters["due_date_gte"] = self.settings.start_date.isoformat()
        params.update({k: v for k, v in filters.items() if v is not None})
        result = self.client.query(GROUPED_ENDPOINT, params)
        by_customer = any(column in CUSTOMER_COLUMNS for column in columns)
        try:  # every later step reads these three: a broken row fails here, naming its request
            for row in result.rows:
                row_month(row), row_count(row)
                if by_customer:
                    row_customer(row)
        except MalformedResponseError as error:
            raise error.at(result.request) from None
        return result

    def _data(self, **filters: Any) -> QueryResult:
        columns = list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *self.settings.columns]))
        return self._query(columns, self.settings.sort, **filters)

    def checksum(self) -> tuple[Counter, datetime]:
        """Invoices per (due month, status) as the API counts them now, and its clock."""
        result = self._query(
            [*PARTITION_MONTH_COLUMNS, "status"], [*PARTITION_MONTH_COLUMNS, "status"]
        )
        counts: Counter = Counter()
        for row in result.rows:
            counts[(row_month(row), row.get("status"))] += row_count(row)
        return counts, result.server_time or datetime.now(UTC)

    def discover(self, since: datetime, until: datetime) -> dict[date, set]:
        """Partitions holding invoices updated in [since, until], by due month."""
        columns = [*PARTITION_MONTH_COLUMNS]
        if self.settings.by_customer:
            columns.append("customer.id")
        result = self._query(
            columns,
            columns,
            updated_at_gte=since.isoformat(timespec="milliseconds"),
            updated_at_lte=until.isoformat(timespec="milliseconds"),
        )
        changed: dict[date, set] = {}
        for row in result.rows:
            who = row_customer(row) if self.settings.by_customer else None
            changed.setdefault(row_month(row), set()).add(who)
        return changed

    # -- runs ----------------------------------------------------------------------------------

    def load(self, watermark: datetime | None) -> Iterator[Batch | datetime]:
        """Yield batches, then (last) the new watermark: the end of the window read."""
        api_counts, server_now = self.checksum()
        self.stats.api_counts, self.stats.server_now = api_counts, server_now
        until = server_now - self.settings.lag
        if watermark is None:
            months = {month for month, _ in api_counts} | set(self._month_rows)
            logger.info("provider %s: first load, %d due months", self.provider_id, len(months))
            yield from self._refresh_months(months, api_counts)
            yield until
            return
        since = watermark - self.settings.overlap
        self.stats.window = (since, until)
        pending, whole = self._fetch_partitions(self.discover(since, until))
        # Invoices deleted or re-dated out of a month show in no window, only in the checksum:
        # find the partitions they left (or, where cheaper, refresh their month whole).
        off = self._cells_off_checksum(api_counts, pending, whole)
        left, whole_too = self._localize(off, pending, whole)
        self.stats.lost_partitions = left
        more, whole_also = self._fetch_partitions(left, skip=_partitions_of(pending))
        pending += more
        whole |= whole_too | whole_also
        whole |= {month for month, _ in self._cells_off_checksum(api_counts, pending, whole)}
        for batch in pending:
            batch = _without_months(batch, whole)  # those are refreshed whole below
            self.stats.partitions_refreshed += len(batch.replaced)
            yield batch
        yield from self._refresh_months(whole, api_counts)
        yield until

    def backfill(self, first: date, last: date) -> Iterator[Batch]:
        """Replace every due month from first's month to last's month; no watermark."""
        yield from self._refresh_months(set(months_between(first, last)), None)

    # -- partition refresh ---------------------------------------------------------------------

    def _fetch_partitions(
        self, changed: dict[date, set], skip: frozenset[Partition] = frozenset()
    ) -> tuple[list[Batch], set[date]]:
        """Re-fetch changed partitions (held back until the checksum has spoken)."""
        changed = {m: {c for c in cs if (c, m) not in skip} for m, cs in changed.items()}
        changed = {m: cs for m, cs in changed.items() if cs}
        if not changed:
            return [], set()
        if not self.settings.by_customer:
            return [], set(changed)  # the partition is the month itself
        customers = {c for cs in changed.values() for c in cs}
        known_rows, _ = self.warehouse.partition_stats(self.provider_id, customers)
        fetches, whole = plan_partition_fetches(changed, known_rows, self._month_rows)
        logger.info(
            "provider %s: %d changed partitions in %d months, %d requests planned",
            self.provider_id,
            sum(len(cs) for cs in changed.values()),
            len(changed),
            len(fetches),
        )
        return [self._fetch_partition_batch(fetch) for fetch in fetches], whole

    def _fetch_partition_batch(self, fetch: PartitionFetch) -> Batch:
        first, _ = month_bounds(fetch.first_month, self.settings.start_date)
        _, last = month_bounds(fetch.last_month)
        result = self._data(
            due_date_gte=first.isoformat(),
            due_date_lte=last.isoformat(),
            customers=",".join(map(str, fetch.customers)),
        )
        rows = [r for r in result.rows if (row_customer(r), row_month(r)) in fetch.partitions]
        replaced = {
            partition_key(self.provider_id, month, customer): month
            for customer, month in fetch.partitions
        }
        return Batch(self.provider_id, rows, replaced, result.column_headers, result.request)

    def _cells_off_checksum(
        self, api_counts: Counter, pending: list[Batch], whole: set[date]
    ) -> set[tuple[date, str]]:
        """(month, status) cells whose count, once `pending` is loaded, differs from the API's."""
        projected = Counter(self.warehouse.month_status_counts(self.provider_id))
        for (partition, status), invoices in self._old_counts(pending).items():
            projected[(partition[1], status)] -= invoices
        for batch in pending:
            for row in batch.rows:
                projected[(row_month(row), row.get("status"))] += row_count(row)
        return {
            cell
            for cell in set(projected) | set(api_counts)
            if projected[cell] != api_counts[cell] and cell[0] not in whole
        }

    def _old_counts(self, pending: list[Batch]) -> dict[tuple[Partition, str], int]:
        """Invoices per (partition, status) the warehouse holds for partitions being replaced."""
        partitions = _partitions_of(pending)
        customers = {customer for customer, _ in partitions}
        _, old = self.warehouse.partition_stats(self.provider_id, customers)
        return {key: n for key, n in old.items() if key[0] in partitions}

    def _localize(
        self, cells: set[tuple[date, str]], pending: list[Batch], whole: set[date]
    ) -> tuple[dict[date, set], set[date]]:
        """The partitions behind each off cell: the API's and the warehouse's invoices per
        customer for that month and status, compared. A month where listing its customers
        would cost as much as re-fetching it is refreshed whole instead."""
        if not self.settings.by_customer:
            return {}, {month for month, _ in cells}
        month_rows = self._month_rows
        replaced = _partitions_of(pending)
        fetched: Counter = Counter()
        for batch in pending:
            for row in batch.rows:
                fetched[(row_customer(row), row_month(row), row.get("status"))] += row_count(row)
        left: dict[date, set] = {}
        whole_too: set[date] = set()
        for month, status in sorted(cells, key=str):
            ours = self.warehouse.customer_counts(self.provider_id, month, status)
            for customer, m in replaced:
                if m == month:
                    ours[customer] = fetched[(customer, month, status)]
            if pages(len(ours) + 1) >= pages(month_rows.get(month, 0)):
                whole_too.add(month)
                continue
            first, last = month_bounds(month, self.settings.start_date)
            result = self._query(
                [*PARTITION_MONTH_COLUMNS, "customer.id"],
                [*PARTITION_MONTH_COLUMNS, "customer.id"],
                due_date_gte=first.isoformat(),
                due_date_lte=last.isoformat(),
                status=status,
            )
            theirs = {row_customer(row): row_count(row) for row in result.rows}
            for customer in set(theirs) | {c for c, n in ours.items() if n}:
                if theirs.get(customer, 0) != ours.get(customer, 0):
                    left.setdefault(month, set()).add(customer)
        return left, whole_too

    # -- month refresh -------------------------------------------------------------------------

    def _refresh_months(self, months: set[date], api_counts: Counter | None) -> Iterator[Batch]:
        old = self.warehouse.partitions_in_months(self.provider_id, months)
        for month in sorted(months):
            replaced = {key: m for key, m in old.items() if m == month}
            has_invoices = api_counts is None or any(
                n for (m, _), n in api_counts.items() if m == month
            )
            batch = Batch(self.provider_id, [], replaced)
            if has_invoices:
                first, last = month_bounds(month, self.settings.start_date)
                result = self._data(due_date_gte=first.isoformat(), due_date_lte=last.isoformat())
                batch = Batch(
                    self.provider_id, result.rows, replaced, result.column_headers, result.request
                )
            self.stats.months_refreshed.add(month)
            yield batch


def _partitions_of(batches: list[Batch]) -> frozenset[Partition]:
    return frozenset(
        (customer_of_key(key), month) for b in batches for key, month in b.replaced.items()
    )


def _without_months(batch: Batch, months: set[date]) -> Batch:
    if not months & set(batch.replaced.values()):
        return batch
    rows = [row for row in batch.rows if row_month(row) not in months]
    replaced = {key: month for key, month in batch.replaced.items() if month not in months}
    return Batch(batch.provider_id, rows, replaced, batch.column_headers, batch.request)
