"""The grouped batches a refresh fetched, reduced to what it decides on: partitions, counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date

from ..exactness.partitions import Partition, customer_of_key
from ..records.batches import GroupedBatch
from ..records.grouped import row_count, row_customer, row_month


def partitions_of(batches: Iterable[GroupedBatch]) -> frozenset[Partition]:
    return frozenset(
        (customer_of_key(key), month) for b in batches for key, month in b.replaced.items()
    )


def without_months(batch: GroupedBatch, months: Collection[date]) -> GroupedBatch:
    """The batch less the months refreshed whole (their own batches replace them)."""
    if not set(months) & set(batch.replaced.values()):
        return batch
    rows = [row for row in batch.rows if row_month(row) not in months]
    replaced = {key: month for key, month in batch.replaced.items() if month not in months}
    return GroupedBatch(batch.provider_id, rows, replaced, batch.column_headers, batch.request)


# The rows reduced to the plain counts the exactness core decides on.


def cell_counts(batches: Iterable[GroupedBatch]) -> Counter:
    """Invoices per (due month, status) of the batches' rows."""
    counts: Counter = Counter()
    for batch in batches:
        for row in batch.rows:
            counts[(row_month(row), row.get("status"))] += row_count(row)
    return counts


def customer_cell_counts(batches: Iterable[GroupedBatch]) -> Counter:
    """Invoices per (customer, due month, status) of the batches' rows."""
    counts: Counter = Counter()
    for batch in batches:
        for row in batch.rows:
            counts[(row_customer(row), row_month(row), row.get("status"))] += row_count(row)
    return counts


def partition_counts(batches: Iterable[GroupedBatch]) -> Counter:
    """Invoices per replaced partition, as the API counts them now (0 for an emptied one)."""
    counts: Counter = Counter()
    for batch in batches:
        for key, month in batch.replaced.items():
            counts[(customer_of_key(key), month)] += 0
        for row in batch.rows:
            counts[(row_customer(row), row_month(row))] += row_count(row)
    return counts


def old_cell_counts(
    old: dict[tuple[Partition, str | None], int], replaced: Collection[Partition]
) -> Counter:
    """Invoices per cell the warehouse holds in the partitions being replaced."""
    counts: Counter = Counter()
    for (partition, status), invoices in old.items():
        if partition in replaced:
            counts[(partition[1], status)] += invoices
    return counts
