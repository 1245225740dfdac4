"""What to do about each (due month, status) cell off the checksum: whole month, bisect or list."""

# A cell off the checksum lost invoices no window shows. The cheapest way to find their
# partitions depends on the cell: refresh its month whole when listing the cell's customers
# would cost as much; bisect its invoice ids (bisect.py) when few invoices went missing among
# many; otherwise list its customers and compare each one's count with ours. Economy only:
# the partitions found are re-fetched and the checksum compared again; a month still off is
# refreshed whole (checksum.py).

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..settings import DOCUMENTED_STATUSES
from .bisect import Invoice, worth_bisecting
from .checksum import Cell
from .fetch_plan import pages
from .partitions import Partition, Place

CustomerCounts = dict[int | None, int]  # invoices per customer of one cell (None: without one)


def customers_per_cell(
    loaded: Mapping[Cell, Mapping[int | None, int]],
    replaced: Collection[Partition],
    fetched: Mapping[tuple[int | None, date, str | None], int],
) -> dict[Cell, CustomerCounts]:
    """Invoices per customer of each cell once the fetched partitions replace the loaded ones.

    loaded: the warehouse's counts per cell; fetched: invoices per (customer, month, status)
    of the partitions in `replaced`."""
    counts: dict[Cell, CustomerCounts] = {}
    for (month, status), mine in loaded.items():
        mine = dict(mine)
        for customer, replaced_month in replaced:
            if replaced_month == month and customer is not None:
                mine[customer] = fetched.get((customer, month, status), 0)
        counts[(month, status)] = mine
    return counts


def months_cheaper_whole(
    ours: Mapping[Cell, CustomerCounts], month_rows: Mapping[date, int]
) -> set[date]:
    """Months where listing a cell's customers costs as many pages as refreshing it whole."""
    return {
        month
        for (month, _), customers in ours.items()
        if pages(len(customers) + 1) >= pages(month_rows.get(month, 0))
    }


@dataclass(frozen=True)
class CellChoices:
    """The cells to bisect (with the invoices each should hold), and those to list."""

    bisect: Mapping[Cell, Sequence[Invoice]] = field(default_factory=dict)
    listing: frozenset[Cell] = frozenset()


def choose_bisect_or_list(
    cells: Collection[Cell],
    ours: Mapping[Cell, CustomerCounts],
    known: Mapping[Cell, Sequence[Invoice]] | None,
    api_counts: Mapping[Cell, int],
) -> CellChoices:
    """Bisect where it should cost fewer requests than listing the cell's customers.

    known: each cell's invoices as the API should hold them but for what it lost; None when
    the invoice-level table has no window to project from (then every cell is listed)."""
    if known is None:
        return CellChoices(listing=frozenset(cells))
    chosen = {}
    for cell in cells:
        invoices = known.get(cell, [])
        listed = sum(1 for n in ours[cell].values() if n)  # customers a listing would show
        if worth_bisecting(len(invoices), len(invoices) - api_counts.get(cell, 0), listed):
            chosen[cell] = invoices
    return CellChoices(chosen, frozenset(cells) - chosen.keys())


def unlistable(cells: Collection[Cell], by_status: bool) -> set[Cell]:
    """Cells whose customers cannot be listed. Listing sends `status=<the cell's status>`;
    a status the docs do not list (or a null one) may be refused or read otherwise, so it is
    never sent and such a cell's month is refreshed whole. Without status in the grouping
    the cells are whole months and listing sends no status at all."""
    if not by_status:
        return set()
    return {cell for cell in cells if cell[1] not in DOCUMENTED_STATUSES}


def invoices_per_cell(
    loaded: Mapping[int, Place],
    changed: Mapping[int, Place],
    months: Collection[date],
    by_status: bool,
) -> dict[Cell, list[Invoice]]:
    """Each cell's invoices, (id, customer) by id, as the API holds them now but for those it
    lost: the loaded ones with the window's changes applied. Per month when status is not
    grouped (the cells are then whole months)."""
    where = {**loaded, **changed}
    cells: dict[Cell, list[Invoice]] = {}
    for invoice, (customer, month, status) in sorted(where.items()):
        if month in months:
            cell = (month, status if by_status else None)
            cells.setdefault(cell, []).append(
                (invoice, customer)  # type: ignore[arg-type]  # None for an invoice without one
            )
    return cells


def listing_differences(
    listed: Mapping[Cell, Mapping[int | None, int]], ours: Mapping[Cell, CustomerCounts]
) -> dict[date, set[int | None]]:
    """The partitions where the API's invoices per customer of a cell differ from ours."""
    found: dict[date, set[int | None]] = {}
    for (month, status), theirs in listed.items():
        mine = ours[(month, status)]
        for customer in set(theirs) | {c for c, n in mine.items() if n}:
            if theirs.get(customer, 0) != mine.get(customer, 0):
                found.setdefault(month, set()).add(customer)
    return found
