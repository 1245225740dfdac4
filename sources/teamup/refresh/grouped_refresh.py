"""Which partitions of the grouped report a run re-fetches, and the batches it loads."""

# The report has no updated_at on its rows and counts invoices per group, so appending each
# night's counts is wrong. A run instead replaces whole partitions, (due month, customer):
# - discovery: the partitions holding invoices changed since the watermark, named by the
#   invoice-level window (ledger.py), else by this report grouped by customer and due month
#   over the updated_at window;
# - those partitions are re-fetched (few requests, see partitions.plan_partition_fetches);
# - a checksum, invoices per (due month, status), is compared with what the warehouse will
#   hold after that; a cell that differs lost invoices no window can show (deleted, or
#   re-dated too late): their partitions are found (localize.py) or the month refreshed whole;
# - every refreshed partition is replaced: a tombstone deletes its old rows, then its new rows
#   are inserted (dlt merge, delete-insert on partition_key, hard_delete on tombstones).

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Protocol

from ..api.client import QueryResult, ReportClient
from ..api.limits import ordered_map
from ..exactness.bisect import Cell, Invoice
from ..exactness.partitions import (
    Partition,
    PartitionFetch,
    month_bounds,
    months_between,
    pages,
    partition_key,
    plan_partition_fetches,
)
from ..records.grouped import row_count, row_customer, row_month
from ..refresh.batches import (
    Batch,
    RefreshSettings,
    RefreshStats,
    check_customer_row,
    check_row,
    comparable_counts,
    partitions_of,
    without_months,
)
from ..refresh.localize import CellLocator
from ..refresh.progress import Progress
from ..refresh.warehouse import Warehouse
from ..settings import (
    CUSTOMER_COLUMNS,
    GROUPED_ENDPOINT,
    PARTITION_MONTH_COLUMNS,
    ROWS_IN_MEMORY,
)

logger = logging.getLogger(__name__)


class Ledger(Protocol):
    """What the invoice-level report knows (ledger.InvoiceLedger), given the window's end."""

    def touched(self, since: datetime, until: datetime) -> dict[date, set] | None: ...

    def by_cell(self, months: set[date], until: datetime) -> dict[Cell, list[Invoice]]: ...


class GroupedRefresh:
    """One provider's run over the grouped report: `load` (incremental) or `backfill`."""

    def __init__(
        self,
        client: ReportClient,
        warehouse: Warehouse,
        provider_id: int,
        settings: RefreshSettings,
        progress: Progress | None = None,
    ) -> None:
        self.client, self.warehouse, self.provider_id = client, warehouse, provider_id
        self.settings = settings
        self.stats = RefreshStats()
        self.progress = progress or Progress.silent()

    @cached_property
    def month_rows(self) -> dict[date, int]:
        """Groups per due month in the warehouse: read once, nothing writes it during a run."""
        return self.warehouse.month_rows(self.provider_id)

    # -- queries -------------------------------------------------------------------------------

    def query(
        self, columns: Sequence[str], sort: Sequence[str], checked: bool = True, **filters: Any
    ) -> QueryResult:
        params: dict[str, Any] = {"columns": [*columns, "count"], "sort": list(sort)}
        params["format"] = "json"
        if self.settings.start_date and "due_date_gte" not in filters:
            filters["due_date_gte"] = self.settings.start_date.isoformat()
        params.update({k: v for k, v in filters.items() if v is not None})
        # The planning steps read these three: a broken row fails as it arrives, naming its
        # query. A month refresh's rows only go to grouped_record, which checks them itself.
        check = check_customer_row if self._by_customer(columns) else check_row
        return self.client.query(GROUPED_ENDPOINT, params, check if checked else None)

    def month_query(self, month: date, columns: Sequence[str], **filters: Any) -> QueryResult:
        """One due month's invoices grouped (and sorted) by month and `columns`."""
        first, last = month_bounds(month, self.settings.start_date)
        grouping = [*PARTITION_MONTH_COLUMNS, *columns]
        return self.query(
            grouping,
            grouping,
            due_date_gte=first.isoformat(),
            due_date_lte=last.isoformat(),
            **filters,
        )

    @staticmethod
    def _by_customer(columns: Sequence[str]) -> bool:
        return any(column in CUSTOMER_COLUMNS for column in columns)

    def _data(self, checked: bool = True, **filters: Any) -> QueryResult:
        columns = list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *self.settings.columns]))
        return self.query(columns, self.settings.sort, checked, **filters)

    def checksum(self) -> tuple[Counter, datetime]:
        """Invoices per (due month, status) as the API counts them now, and its clock."""
        result = self.query(
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
        result = self.query(
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

    def load(
        self, watermark: datetime | None, ledger: Ledger | None = None
    ) -> Iterator[Batch | datetime]:
        """Yield batches, then (last) the new watermark: the end of the window read.

        ledger: the invoice-level report's view, when it is loaded too. Its window names the
        partitions its invoices are in and the ones they left, so discovery costs nothing;
        and lost invoices are looked for by id before any customers are listed.
        """
        api_counts, server_now = self.checksum()
        self.stats.api_counts, self.stats.server_now = api_counts, server_now
        until = server_now - self.settings.lag
        if watermark is None:
            months = {month for month, _ in api_counts} | set(self.month_rows)
            logger.info("provider %s: first load, %d due months", self.provider_id, len(months))
            yield from self._refresh_months(months, api_counts)
            yield until
            return
        since = watermark - self.settings.overlap
        self.stats.window = (since, until)
        api_counts = comparable_counts(api_counts, self.settings.by_status)
        touched = ledger.touched(since, until) if ledger and self.settings.by_customer else None
        changed = self.discover(since, until) if touched is None else touched
        pending, whole = self._fetch_partitions(changed)
        # Invoices deleted or re-dated out of a month show in no window, only in the checksum:
        # find the partitions they left (or, where cheaper, refresh their month whole).
        off = self._cells_off_checksum(api_counts, pending, whole)
        before = self.client.requests_made
        left, whole_too = CellLocator(self, ledger, until).localize(off, pending, api_counts)
        self.stats.search_requests = self.client.requests_made - before
        self.stats.lost_partitions = left
        more, whole_also = self._fetch_partitions(left, skip=partitions_of(pending))
        pending += more
        whole |= whole_too | whole_also
        whole |= {month for month, _ in self._cells_off_checksum(api_counts, pending, whole)}
        for batch in pending:
            batch = without_months(batch, whole)  # those are refreshed whole below
            self.stats.partitions_refreshed += len(batch.replaced)
            if self.settings.by_customer:
                self.stats.note_refreshed(batch)
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
        fetches, whole = plan_partition_fetches(changed, known_rows, self.month_rows)
        logger.info(
            "provider %s: %d changed partitions in %d months, %d requests planned",
            self.provider_id,
            sum(len(cs) for cs in changed.values()),
            len(changed),
            len(fetches),
        )
        batches = ordered_map(self._fetch_partition_batch, fetches, self.client.max_parallel)
        return list(batches), whole

    def _fetch_partition_batch(self, fetch: PartitionFetch) -> Batch:
        first, _ = month_bounds(fetch.first_month, self.settings.start_date)
        _, last = month_bounds(fetch.last_month)
        result = self._data(
            due_date_gte=first.isoformat(),
            due_date_lte=last.isoformat(),
            customers=list(fetch.customers),  # repeated keys: OpenAPI's default for integer[]
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
        partitions = partitions_of(pending)
        customers = {customer for customer, _ in partitions}
        _, old = self.warehouse.partition_stats(self.provider_id, customers)
        return {key: n for key, n in old.items() if key[0] in partitions}

    # -- month refresh -------------------------------------------------------------------------

    def _refresh_months(self, months: set[date], api_counts: Counter | None) -> Iterator[Batch]:
        """Each month whole: its old partitions replaced by what the API has now. The months
        are fetched `max_parallel` at a time and yielded in order."""
        replaced: dict[date, dict[str, date]] = {month: {} for month in months}
        for key, month in self.warehouse.partitions_in_months(self.provider_id, months).items():
            replaced[month][key] = month
        invoices: Counter = Counter()
        for (month, _), n in (api_counts or {}).items():
            invoices[month] += n
        # Without a checksum (a backfill) every month is asked; with one, only those with
        # invoices: an empty month just loses its old partitions.
        asked = [m for m in sorted(months) if api_counts is None or invoices[m]]
        expected = {month: pages(invoices[month]) for month in asked}
        self.progress.expect("months", len(months), label="grouped")
        self.progress.expect("pages", sum(expected.values()), label="grouped")
        fetched = ordered_map(self._month_data, asked, self.client.max_parallel)
        for month in sorted(months):
            if month not in expected:  # no invoices now: its old partitions just go
                yield Batch(self.provider_id, [], replaced[month])
            else:
                result = next(fetched)
                # In batches of bounded size: the first replaces the month's partitions, the
                # others add rows (one load: dlt deletes before it inserts any of them).
                for n, rows in enumerate(result.rows.batches(ROWS_IN_MEMORY)):
                    old = replaced[month] if n == 0 else {}
                    yield Batch(self.provider_id, rows, old, result.column_headers, result.request)
                result.rows.close()
                self.progress.expect("pages", result.pages - expected[month], label="grouped")
                self.progress.done("pages", result.pages, label="grouped")
            self.stats.months_refreshed.add(month)
            self.progress.done("months", label="grouped")

    def _month_data(self, month: date) -> QueryResult:
        first, last = month_bounds(month, self.settings.start_date)
        return self._data(False, due_date_gte=first.isoformat(), due_date_lte=last.isoformat())
