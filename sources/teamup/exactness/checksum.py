"""Projection against the checksum: the cells a run's fetches would leave off the API's count."""

# The checksum is the API's invoice count per (due month, status), read at the start of a
# run. After the run the warehouse must count the same in every cell. Projecting what it
# will count (what is loaded, less what the run replaces, plus what it fetched) shows which
# cells lost invoices no window can show (deleted, or re-dated too late); a month still off
# after every cheaper step is refreshed whole. This is what makes a run exact.

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

Cell = tuple[date, str | None]  # (due month, status; None when status is not grouped)


@dataclass(frozen=True)
class Checksum:
    """The API's invoices per cell and its clock (the Date header), read in one request."""

    counts: Mapping[Cell, int]
    clock: datetime


def comparable_counts(counts: Mapping[Cell, int], by_status: bool) -> Counter:
    """The checksum's invoices per (due month, status), or per (due month, None) when status
    is not a grouped column: the warehouse then has no status to compare them with."""
    if by_status:
        return Counter(counts)
    per_month: Counter = Counter()
    for (month, _), n in counts.items():
        per_month[(month, None)] += n
    return per_month


def cells_off_checksum(
    loaded: Mapping[Cell, int],
    replaced: Mapping[Cell, int],
    fetched: Mapping[Cell, int],
    api_counts: Mapping[Cell, int],
    settled_months: Collection[date] = (),
) -> set[Cell]:
    """Cells whose count, once `replaced` leaves what is `loaded` and `fetched` comes in,
    differs from the API's. Months in `settled_months` are refreshed whole anyway: left out.
    One rule for both tables: groups count their invoices, the invoice table its rows."""
    projected = Counter(loaded)
    projected.subtract(replaced)
    projected.update(fetched)
    return {
        cell
        for cell in set(projected) | set(api_counts)
        if projected[cell] != api_counts.get(cell, 0) and cell[0] not in settled_months
    }


def months_of(cells: Iterable[Cell]) -> set[date]:
    return {month for month, _ in cells}


def checksum_months(api_counts: Mapping[Cell, int]) -> Counter:
    """Invoices per due month, as the checksum counts them."""
    invoices: Counter = Counter()
    for (month, _), n in api_counts.items():
        invoices[month] += n
    return invoices
