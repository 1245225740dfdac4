"""The fetch plan: the cheapest requests that re-fetch a run's changed partitions."""

# Economy only: whatever the plan, every changed partition is fetched (or its month refreshed
# whole), and the checksum still has the last word (checksum.py).

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from ..settings import MAX_CUSTOMERS_PER_REQUEST, PAGE_SIZE
from .partitions import Partition

# The most changed months one partition request may cover (a run of consecutive ones among
# the changed months, however far apart in the calendar): bounds the programme's work.
MAX_MONTHS_PER_REQUEST = 24


@dataclass(frozen=True)
class PartitionFetch:
    """One paged query: customers over a run of due months; keeps only `partitions`."""

    first_month: date
    last_month: date
    customers: tuple[int, ...]
    partitions: frozenset[Partition]


def pages(rows: int) -> int:
    """Requests a query of this many rows takes (an empty one still takes one)."""
    return max(1, math.ceil(rows / PAGE_SIZE))


@dataclass(frozen=True)
class FetchPlan:
    """Requests that re-fetch changed partitions, and months cheaper to refresh whole."""

    fetches: tuple[PartitionFetch, ...] = ()
    whole_months: frozenset[date] = field(default_factory=frozenset)
    expected_pages: float = 0  # the plan's cost, as the dynamic programme estimated it


def plan_partition_fetches(
    changed: Mapping[date, set[int]],
    known_rows: Mapping[Partition, int],
    month_rows: Mapping[date, int],
    allow_whole_months: bool = True,
) -> FetchPlan:
    """Choose the cheapest requests that cover every changed (customer, month) partition.

    A request names customers and a contiguous run of due months, and returns every group of
    those customers in those months, changed or not; so covering several sparse months with
    one request is often cheaper than one request each. A dynamic programme over the sorted
    changed months picks the split with the fewest expected pages, estimated from the groups
    the warehouse holds per partition. A month where refreshing it whole is no dearer is
    refreshed whole instead (returned apart).
    """
    months = sorted(changed)
    rows_in = _row_counter(known_rows)
    cost, steps = _cheapest_steps(months, changed, rows_in, month_rows, allow_whole_months)
    fetches: list[PartitionFetch] = []
    whole_months: set[date] = set()
    for step in steps:
        if step[0] == "month":
            whole_months.add(step[1])
            continue
        _, first, last, groups = step
        for group in groups:
            wanted = frozenset(
                (customer, month)
                for month in months
                if first <= month <= last
                for customer in changed[month] & set(group)
            )
            fetches.append(PartitionFetch(first, last, group, wanted))
    return FetchPlan(tuple(fetches), frozenset(whole_months), cost)


def plan_month_refreshes(changed: Mapping[date, set]) -> FetchPlan:
    """Without customers in the grouping a partition is its month: each is refreshed whole."""
    return FetchPlan(whole_months=frozenset(changed))


RowCounter = Callable[[Iterable[int], date, date], int]


def _row_counter(known_rows: Mapping[Partition, int]) -> RowCounter:
    """Expected rows of a request for these customers over [first, last], from the groups the
    warehouse holds per partition (each known partition counted as at least one row)."""
    by_customer: dict[int, list[tuple[date, int]]] = {}
    for (customer, month), rows in known_rows.items():
        if customer is not None:
            by_customer.setdefault(customer, []).append((month, rows))

    def rows_in(customers: Iterable[int], first: date, last: date) -> int:
        return sum(
            max(rows, 1) if first <= month <= last else 0
            for customer in customers
            for month, rows in by_customer.get(customer, ())
        )

    return rows_in


def _chunks(customers: set[int]) -> list[tuple[int, ...]]:
    ordered = sorted(customers)
    size = MAX_CUSTOMERS_PER_REQUEST
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def _cheapest_steps(
    months: list[date],
    changed: Mapping[date, set[int]],
    rows_in: RowCounter,
    month_rows: Mapping[date, int],
    allow_whole_months: bool,
) -> tuple[float, list[tuple]]:
    """The dynamic programme: best[j] is the cheapest plan (expected pages) for months[:j],
    its last step one request over months[i:j], or month j-1 refreshed whole."""
    best: list[tuple[float, list]] = [(0, [])]
    for j in range(1, len(months) + 1):
        options = []
        union: set[int] = set()
        for i in range(j - 1, max(-1, j - 1 - MAX_MONTHS_PER_REQUEST), -1):
            union |= changed[months[i]]
            first, last = months[i], months[j - 1]
            if i == j - 1:
                groups = _chunks(union)
                cost = sum(pages(rows_in(group, first, last) + len(group)) for group in groups)
                whole = pages(month_rows.get(first, 0))
                if allow_whole_months and whole <= cost:
                    options.append((best[i][0] + whole, [*best[i][1], ("month", first)]))
                options.append((best[i][0] + cost, [*best[i][1], ("fetch", first, last, groups)]))
            elif len(union) <= MAX_CUSTOMERS_PER_REQUEST:
                cost = pages(rows_in(union, first, last) + len(union))
                plan = ("fetch", first, last, [tuple(sorted(union))])
                options.append((best[i][0] + cost, [*best[i][1], plan]))
            else:
                break
        best.append(min(options, key=lambda option: option[0]))
    return best[-1]
