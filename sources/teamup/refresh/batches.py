"""What the grouped refresh works with: its settings, the batches it yields, what it found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..exactness.partitions import Partition, customer_of_key
from ..records.grouped import canonical, row_count, row_customer, row_month
from ..settings import CUSTOMER_COLUMNS, PARTITION_MONTH_COLUMNS


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
    def by_status(self) -> bool:
        return "status" in self.columns

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
    search_requests: int = 0  # spent finding the partitions behind cells off the checksum
    # Partitions refreshed one by one, and the invoices the API has in each now: the
    # invoice-level refresh checks the ids of those whose invoices would not add up.
    refreshed: Counter = field(default_factory=Counter)

    def note_refreshed(self, batch: Batch) -> None:
        for key, month in batch.replaced.items():
            self.refreshed[(customer_of_key(key), month)] += 0
        for row in batch.rows:
            self.refreshed[(row_customer(row), row_month(row))] += row_count(row)


def comparable_counts(counts: Counter, by_status: bool) -> Counter:
    """The checksum's invoices per (due month, status), or per (due month, None) when status
    is not a grouped column: the warehouse then has no status to compare them with."""
    if by_status:
        return counts
    per_month: Counter = Counter()
    for (month, _), n in counts.items():
        per_month[(month, None)] += n
    return per_month


def check_row(row: Mapping[str, Any]) -> None:
    row_month(row), row_count(row)


def check_customer_row(row: Mapping[str, Any]) -> None:
    row_month(row), row_count(row), row_customer(row)


def partitions_of(batches: list[Batch]) -> frozenset[Partition]:
    return frozenset(
        (customer_of_key(key), month) for b in batches for key, month in b.replaced.items()
    )


def without_months(batch: Batch, months: set[date]) -> Batch:
    if not months & set(batch.replaced.values()):
        return batch
    rows = [row for row in batch.rows if row_month(row) not in months]
    replaced = {key: month for key, month in batch.replaced.items() if month not in months}
    return Batch(batch.provider_id, rows, replaced, batch.column_headers, batch.request)
