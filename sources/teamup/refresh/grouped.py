"""The grouped report's steps of a run: touched partitions, their fetch, the projection."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..exactness.checksum import Cell, cells_off_checksum, months_of
from ..exactness.fetch_plan import FetchPlan, plan_month_refreshes, plan_partition_fetches
from ..exactness.partitions import (
    Partition,
    Place,
    months_without_customer,
    touched_partitions,
    without_partitions,
)
from ..exactness.window import Windows
from ..options import RunSettings
from ..records.batches import GroupedBatch
from .batches import cell_counts, old_cell_counts, partition_counts, partitions_of
from .reports import GroupedReport
from .warehouse import ProviderWarehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupedPlan:
    """What a run replaces in invoices_grouped, and what the invoice-level refresh follows."""

    batches: tuple[GroupedBatch, ...] = ()  # fetched partitions, months refreshed whole left out
    whole_months: frozenset[date] = frozenset()
    lost: Mapping[date, set[int]] = field(default_factory=dict)  # partitions that lost some
    # The API's invoices in each partition refreshed one by one (customers only): the
    # invoice-level refresh checks the ids of those whose invoices would not add up.
    refreshed: Mapping[Partition, int] = field(default_factory=dict)
    search_requests: int = 0  # spent finding invoices deleted without a trace

    @property
    def partitions_refreshed(self) -> int:
        return sum(len(batch.replaced) for batch in self.batches)


def first_load(known: ProviderWarehouse, api_counts: Mapping[Cell, int]) -> GroupedPlan:
    """Every month the API or the warehouse has, refreshed whole."""
    return GroupedPlan(whole_months=frozenset(months_of(api_counts)) | set(known.month_rows))


def touched(
    report: GroupedReport,
    known: ProviderWarehouse,
    settings: RunSettings,
    windows: Windows,
    changed: Mapping[int, Place] | None,
) -> dict[date, set]:
    """Step 4: the partitions the window's changes touched, named by the invoice-level
    window where it can stand in, else by the grouped report's discovery query."""
    if settings.by_customer and changed is not None and windows.invoice_window_covers_grouped:
        return touched_partitions(changed, known.invoice_places(changed))
    assert windows.grouped is not None
    return report.discover(windows.grouped)


def plan_fetches(
    known: ProviderWarehouse,
    settings: RunSettings,
    changed: Mapping[date, set],
    skip: frozenset[Partition] = frozenset(),
) -> FetchPlan:
    """Step 5: the cheapest requests for the changed partitions not fetched yet (`skip`);
    a month with a customerless partition (invoices without a customer) goes whole."""
    wanted = without_partitions(changed, skip)
    if not settings.by_customer or not wanted:
        return plan_month_refreshes(wanted)
    whole = months_without_customer(wanted)
    wanted = {month: customers for month, customers in wanted.items() if month not in whole}
    customers = {c for cs in wanted.values() for c in cs}
    known_rows, _ = known.partition_stats(customers)
    plan = plan_partition_fetches(wanted, known_rows, known.month_rows)
    plan = FetchPlan(plan.fetches, plan.whole_months | whole, plan.expected_pages)
    logger.info(
        "provider %s: %d changed partitions in %d months, %d requests planned",
        known.provider_id,
        sum(len(cs) for cs in wanted.values()),
        len(wanted),
        len(plan.fetches),
    )
    return plan


def off_checksum(
    known: ProviderWarehouse,
    api_counts: Mapping[Cell, int],
    fetched: Sequence[GroupedBatch],
    settled_months: Collection[date],
) -> set[Cell]:
    """Steps 7 and 9: the cells the fetched partitions would leave off the checksum."""
    replaced = partitions_of(fetched)
    customers = {customer for customer, _ in replaced}  # None in month-wide partitions
    _, old = known.partition_stats(customers)  # type: ignore[arg-type]  # a None id matches no row
    return cells_off_checksum(
        known.month_status_counts,
        old_cell_counts(old, replaced),
        cell_counts(fetched),
        api_counts,
        settled_months,
    )


def refreshed_counts(batches: Sequence[GroupedBatch], settings: RunSettings) -> Counter:
    return partition_counts(batches) if settings.by_customer else Counter()
