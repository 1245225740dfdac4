"""Bisection: which loaded invoices of a (due month, status) cell the API no longer has, by id."""

# A cell whose count is off lost invoices no window shows (deleted, or changed too late for
# the window). Listing the cell's customers costs a page per 100 customers: 80 requests for a
# busy month's `paid` cell that lost one invoice. Bisecting invoice ids costs about one request
# per halving instead: the grouped report counts a month's invoices per status above an id
# (`id_gt`), and the warehouse knows the ids each cell should hold, so every interval whose
# counts differ is halved until few invoices remain; their partitions are then re-fetched.
# The caller lists the customers of the cells where that would be cheaper, or where the ids
# cannot explain the count (the API holding more than the warehouse knows of).

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .checksum import Cell
from .fetch_plan import pages

Invoice = tuple[int, int]  # (invoice id, customer id)
# Invoices per status of one month whose id is above each threshold: one request each.
CountAbove = Callable[[Sequence[tuple[date, int]]], list[Counter]]

# An interval with this many of our invoices is not halved further: re-fetching their
# partitions (a request holds 200 customers) costs less than more halvings.
LEAF_INVOICES = 32


@dataclass(frozen=True)
class _Interval:
    cell: Cell
    above: int  # ids > above (-1: all of them)
    upto: int | None  # ids <= upto (None: no bound)
    invoices: Sequence[Invoice]  # ours in the interval, by id


def worth_bisecting(known: int, missing: int, customers: int) -> bool:
    """Whether bisecting a cell should cost fewer requests than listing its customers."""
    if missing <= 0 or known < missing:
        return False
    halvings = math.ceil(math.log2(max(known / (missing * LEAF_INVOICES), 1)))
    refetch = pages(missing * LEAF_INVOICES)  # the leaves' partitions, fetched again
    return missing * halvings + refetch < pages(customers + 1)


def locate_missing(
    ours: Mapping[Cell, Sequence[Invoice]],
    api_counts: Mapping[Cell, int],
    count_above: CountAbove,
    leaf: int = LEAF_INVOICES,
) -> tuple[dict[date, set[int]], set[Cell]]:
    """The partitions, by month, holding every invoice of these cells the API lacks; and the
    cells whose differences ids cannot explain (the API has invoices we do not know of).

    ours: each cell's invoices as the API should hold them but for what it lost, by id.
    leaf: an interval this small is not halved further (1: the lost invoices exactly)."""
    found: dict[date, set[int]] = {}
    unexplained: set[Cell] = set()
    known: dict[tuple[date, int], Counter] = {}

    def api_above(cell: Cell, bound: int | None) -> int:
        if bound is None:
            return 0
        if bound < 0:
            return api_counts.get(cell, 0)
        return known[(cell[0], bound)][cell[1]]

    intervals = [_Interval(cell, -1, None, invoices) for cell, invoices in ours.items()]
    while intervals:
        halves: list[tuple[_Interval, int]] = []
        for interval in intervals:
            cell, invoices = interval.cell, interval.invoices
            theirs = api_above(cell, interval.above) - api_above(cell, interval.upto)
            missing = len(invoices) - theirs
            if missing == 0:
                continue
            if missing < 0:
                unexplained.add(cell)
            elif missing == len(invoices) or len(invoices) <= leaf:
                found.setdefault(cell[0], set()).update(customer for _, customer in invoices)
            else:
                halves.append((interval, invoices[len(invoices) // 2 - 1][0]))
        asked = sorted({(i.cell[0], middle) for i, middle in halves} - known.keys())
        known.update(zip(asked, count_above(asked), strict=True))
        intervals = []
        for interval, middle in halves:
            if interval.cell in unexplained:
                continue
            cell, invoices, cut = interval.cell, interval.invoices, len(interval.invoices) // 2
            intervals.append(_Interval(cell, interval.above, middle, invoices[:cut]))
            intervals.append(_Interval(cell, middle, interval.upto, invoices[cut:]))
    return found, unexplained
