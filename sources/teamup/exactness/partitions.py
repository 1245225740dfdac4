"""Refresh partitions of the grouped report, and the plan that re-fetches changed ones cheaply."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pendulum

from ..settings import MAX_CUSTOMERS_PER_REQUEST, PAGE_SIZE

# The longest run of due months one partition request may span.
MAX_MONTHS_PER_REQUEST = 24

Partition = tuple[int | None, date]  # (customer_id or None when not grouped by customer, month)


def partition_key(provider_id: int, month: date, customer_id: int | None) -> str:
    """The merge key of invoices_grouped: one refresh unit, replaced whole."""
    who = "*" if customer_id is None else str(customer_id)
    return f"{provider_id}/{month.year:04d}-{month.month:02d}/{who}"  # strftime is slow


def customer_of_key(key: str) -> int | None:
    """The customer of a partition key (None for a month-wide partition)."""
    who = key.rsplit("/", 1)[1]
    return None if who == "*" else int(who)


def month_of(year: int, month: int) -> date:
    return date(year, month, 1)


def month_bounds(month: date, start_date: date | None = None) -> tuple[date, date]:
    """First and last due date of a month, never before the configured start date."""
    last = pendulum.date(month.year, month.month, 1).end_of("month")
    first = max(month, start_date) if start_date else month
    return first, date(last.year, last.month, last.day)


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from first's month to last's month, inclusive."""
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        following = pendulum.date(current.year, current.month, 1).add(months=1)
        current = date(following.year, following.month, 1)
    return months


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


def plan_partition_fetches(
    changed: Mapping[date, set[int]],
    known_rows: Mapping[Partition, int],
    month_rows: Mapping[date, int],
    allow_whole_months: bool = True,
) -> tuple[list[PartitionFetch], set[date]]:
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
    steps = _cheapest_steps(months, changed, rows_in, month_rows, allow_whole_months)
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
    return fetches, whole_months


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
) -> list[tuple]:
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
    return best[-1][1]
