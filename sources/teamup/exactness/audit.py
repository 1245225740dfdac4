"""The rolling audit's decisions: which months to re-fetch tonight, and what differed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from .partitions import partition_key

# Requests a night's audit may spend beyond its share of a full reload: the share rounds
# down to whole months, and a month's cost is estimated from the rows it held.
HANDFUL = 5


def nightly_budget(costs: Mapping[date, int], cycle_nights: int, ceiling: int | None) -> int:
    """Requests one night's audit may spend: a `cycle_nights`-th of re-fetching every month
    (so the cycle covers the whole history), plus a handful; never above `ceiling`."""
    share = math.ceil(sum(costs.values()) / max(cycle_nights, 1)) + HANDFUL
    return share if ceiling is None else min(share, ceiling)


def choose_months(
    costs: Mapping[date, int], audited: Mapping[date, str], budget: int
) -> list[date]:
    """The months verified least recently (never first, then the oldest audit; ties by
    month), as many as fit the budget. `costs`: each loaded month's estimated requests;
    `audited`: when each month was last audited (ISO timestamps, which sort as time)."""
    order = sorted(costs, key=lambda month: (audited.get(month, ""), month))
    chosen: list[date] = []
    spent = 0
    for month in order:
        if spent + costs[month] > budget:
            break  # in order, not the cheapest first: the oldest must not wait forever
        chosen.append(month)
        spent += costs[month]
    return chosen


@dataclass(frozen=True)
class TableDrift:
    """How one table's audited rows differed from what TeamUp has: rows added, gone or
    changed, and the columns that changed."""

    table: str
    rows: int = 0
    columns: frozenset[str] = field(default_factory=frozenset)
    months: frozenset[date] = field(default_factory=frozenset)

    def __str__(self) -> str:
        shown = ", ".join(sorted(self.columns)) or "rows"
        months = ", ".join(f"{m:%Y-%m}" for m in sorted(self.months))
        return f"{self.table} {self.rows} rows ({shown})" + (f" in {months}" if months else "")


Row = Mapping[str, Any]


def diff_rows(
    table: str,
    before: Mapping[Any, Row],
    after: Mapping[Any, Row],
    settled: Iterable[Any] = (),
    month_of: str = "due_month",
) -> TableDrift:
    """Rows by key, before and after the audit's re-fetch. A key in `settled` changed in
    TeamUp since the night's load began (stamped): not drift. A row only before is gone
    (the `__deleted__` column), only after is new (`__added__`)."""
    skip = set(settled)
    rows, columns, months = 0, set(), set()
    for key in (before.keys() | after.keys()) - skip:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        rows += 1
        if old is None or new is None:
            columns.add("__added__" if old is None else "__deleted__")
        else:
            columns |= {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
        for row in (old, new):
            if row is not None and row.get(month_of) is not None:
                months.add(row[month_of])
    return TableDrift(table, rows, frozenset(columns), frozenset(months))


def merge_drift(table: str, parts: Iterable[TableDrift]) -> TableDrift:
    """One table's drift from the drifts of its rows compared a batch at a time."""
    rows, columns, months = 0, frozenset[str](), frozenset[date]()
    for part in parts:
        rows, columns, months = rows + part.rows, columns | part.columns, months | part.months
    return TableDrift(table, rows, columns, months)


class Settled(NamedTuple):
    """What TeamUp stamped since the night's load began, left out of the comparison."""

    invoices: frozenset[int]  # their ids
    partitions: frozenset[str]  # their grouped partitions, before and after
    customers: frozenset[int]  # their customers


def settled_keys(moved: Iterable[Row]) -> Settled:
    """From the invoice rows (before or after the re-fetch) stamped since the night began:
    those invoices, their grouped partitions and their customers. A grouping without the
    customer partitions by whole month ("*"), so that partition is left out too; a
    walk-in's invoice (no customer) has only that one."""
    ids, partitions, customers = set(), set(), set()
    for row in moved:
        ids.add(row["id"])
        for who in (row["customer_id"], None):
            partitions.add(partition_key(row["provider_id"], row["due_month"], who))
        if row["customer_id"] is not None:
            customers.add(row["customer_id"])
    return Settled(frozenset(ids), frozenset(partitions), frozenset(customers))
