"""Partitions, the refresh unit: their keys, their months, and those a run's changes touched."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

import pendulum

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


class Place(NamedTuple):
    """Where an invoice is: its partition's customer and month, and its status."""

    customer: int | None
    month: date
    status: str | None


def places(records: Iterable[Mapping[str, Any]]) -> dict[int, Place]:
    """Invoice records (records/invoices.py) reduced to where each invoice is."""
    return {r["id"]: Place(r["customer_id"], r["due_month"], r["status"]) for r in records}


def touched_partitions(
    changed: Mapping[int, Place], before: Mapping[int, Place]
) -> dict[date, set[int | None]]:
    """The partitions, by due month, that the changed invoices are in now or were in before
    (re-dated into another month, or moved to another customer). An invoice without a
    customer is in its month's customerless partition (None), which only a whole-month
    refresh can replace (`months_without_customer`).

    The grouped report's own discovery names the first kind at the cost of its pages over the
    window; the invoice-level window, read once a run anyway, names both. (Both reports count
    the same invoices and stamp the same updated_at: an assumption of the sandbox, see
    docs/exactness.md.)"""
    touched: dict[date, set[int | None]] = {}
    for invoice, place in changed.items():
        touched.setdefault(place.month, set()).add(place.customer)
        old = before.get(invoice)
        if old is not None:
            touched.setdefault(old.month, set()).add(old.customer)
    return touched


def months_without_customer(changed: Mapping[date, set]) -> set[date]:
    """Months where a changed partition has no customer: no `customers` filter can ask for
    it (a `customers=[None]` query is never sent), so its month is refreshed whole."""
    return {month for month, customers in changed.items() if None in customers}


def merged(*found: Mapping[date, set]) -> dict[date, set]:
    """Partitions by month, from several finds, in one map."""
    result: dict[date, set] = {}
    for partitions in found:
        for month, customers in partitions.items():
            result.setdefault(month, set()).update(customers)
    return result


def without_partitions(
    changed: Mapping[date, set], skip: frozenset[Partition] = frozenset()
) -> dict[date, set]:
    """The changed partitions not in `skip`, months left empty dropped."""
    kept = {m: {c for c in cs if (c, m) not in skip} for m, cs in changed.items()}
    return {m: cs for m, cs in kept.items() if cs}


def short_partitions(
    api_counts: Mapping[Partition, int],
    loaded: Mapping[int, Partition],
    changed: Mapping[int, Place],
) -> dict[date, set[int]]:
    """Partitions refreshed one by one whose loaded invoices, once this run's changed ones
    are in, would not number what the API counts there now: they lost invoices no window
    shows (deleted beside a change that brought the partition into the run). Only their ids
    can tell which; without this, the month's checksum would send the whole month again.

    api_counts: the API's invoices per refreshed partition; loaded: the partition of each
    loaded invoice in them."""
    projected = Counter(loaded.values())
    for invoice, place in changed.items():
        if invoice in loaded:
            projected[loaded[invoice]] -= 1
        if (place.customer, place.month) in api_counts:
            projected[(place.customer, place.month)] += 1
    short: dict[date, set[int]] = {}
    for (customer, month), invoices in api_counts.items():
        if projected[(customer, month)] != invoices:
            short.setdefault(month, set()).add(
                customer  # type: ignore[arg-type]  # the caller passes per-customer partitions
            )
    return short
