"""The partitions behind (due month, status) cells whose count, after a run's fetches, is off."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..api.limits import ordered_map
from ..exactness.bisect import Cell, Invoice, locate_missing, worth_bisecting
from ..exactness.partitions import pages
from ..records.grouped import row_count, row_customer, row_month
from ..refresh.batches import Batch, partitions_of

if TYPE_CHECKING:
    from ..refresh.grouped_refresh import GroupedRefresh, Ledger

logger = logging.getLogger(__name__)


class CellLocator:
    """Invoices no window shows (deleted, or changed too late) leave their (month, status)
    cell off the checksum: this finds the partitions they were in, as cheaply as it can."""

    def __init__(self, refresh: GroupedRefresh, ledger: Ledger | None, until: datetime) -> None:
        self.refresh, self.ledger, self.until = refresh, ledger, until

    def localize(
        self, cells: set[Cell], pending: list[Batch], api_counts: Counter
    ) -> tuple[dict[date, set], set[date]]:
        """The partitions behind each off cell. A month where listing a cell's customers would
        cost as much as re-fetching it is refreshed whole; in a cell where it is cheaper, the
        ids the cell lost are bisected (see missing.py); the other cells' customers are
        listed, the API's invoices per customer compared with the warehouse's."""
        if not self.refresh.settings.by_customer:
            return {}, {month for month, _ in cells}
        ours = self._customer_counts(cells, pending)
        whole_too = {
            month
            for (month, _), customers in ours.items()
            if pages(len(customers) + 1) >= pages(self.refresh.month_rows.get(month, 0))
        }
        cells = {cell for cell in cells if cell[0] not in whole_too}
        left, to_list = self._bisect(cells, ours, api_counts)
        listed = sorted(to_list, key=str)
        # The listings are independent: asked at once, compared in order.
        answers = ordered_map(self._customers_of_cell, listed, self.refresh.client.max_parallel)
        for (month, status), theirs in zip(listed, answers, strict=True):
            mine = ours[(month, status)]
            for customer in set(theirs) | {c for c, n in mine.items() if n}:
                if theirs.get(customer, 0) != mine.get(customer, 0):
                    left.setdefault(month, set()).add(customer)
        return left, whole_too

    def _customer_counts(self, cells: set[Cell], pending: list[Batch]) -> dict[Cell, dict]:
        """Invoices per customer of each cell, once `pending` is loaded."""
        replaced = partitions_of(pending)
        fetched: Counter = Counter()
        for batch in pending:
            for row in batch.rows:
                fetched[(row_customer(row), row_month(row), row.get("status"))] += row_count(row)
        counts: dict[Cell, dict] = {}
        for month, status in cells:
            mine = self.refresh.warehouse.customer_counts(self.refresh.provider_id, month, status)
            for customer, m in replaced:
                if m == month:
                    mine[customer] = fetched[(customer, month, status)]
            counts[(month, status)] = mine
        return counts

    def _bisect(
        self, cells: set[Cell], ours: dict[Cell, dict], api_counts: Counter
    ) -> tuple[dict[date, set], set[Cell]]:
        """Partitions found by bisecting the ids of the cells where that is cheaper than
        listing their customers, and the cells left to list."""
        if self.ledger is None or not cells:
            return {}, cells
        invoices = self.ledger.by_cell({month for month, _ in cells}, self.until)
        if not self.refresh.settings.by_status:  # cells are whole months (see refresh.load)
            invoices = _per_month(invoices)
        chosen = {}
        for cell in cells:
            known = invoices.get(cell, [])
            listed = sum(1 for n in ours[cell].values() if n)  # customers a listing would show
            if worth_bisecting(len(known), len(known) - api_counts[cell], listed):
                chosen[cell] = known
        if not chosen:
            return {}, cells
        found, unexplained = locate_missing(chosen, api_counts, self._counts_above)
        logger.info(
            "provider %s: %d cells bisected by invoice id, %d partitions found",
            self.refresh.provider_id,
            len(chosen) - len(unexplained),
            sum(len(customers) for customers in found.values()),
        )
        return found, (cells - chosen.keys()) | unexplained

    def _counts_above(self, asked: Sequence[tuple[date, int]]) -> list[Counter]:
        return list(ordered_map(self._count_above, asked, self.refresh.client.max_parallel))

    def _count_above(self, probe: tuple[date, int]) -> Counter:
        """Invoices per status of one due month whose id is above a threshold."""
        month, threshold = probe
        counts: Counter = Counter()
        by_status = self.refresh.settings.by_status
        for row in self.refresh.month_query(month, ["status"], id_gt=threshold).rows:
            counts[row.get("status") if by_status else None] += row_count(row)
        return counts

    def _customers_of_cell(self, cell: Cell) -> dict[int, int]:
        """Invoices per customer of one (due month, status), as the API counts them."""
        month, status = cell
        result = self.refresh.month_query(month, ["customer.id"], status=status)
        return {row_customer(row): row_count(row) for row in result.rows}


def _per_month(invoices: dict[Cell, list[Invoice]]) -> dict[Cell, list[Invoice]]:
    merged: dict[Cell, list[Invoice]] = {}
    for (month, _), known in invoices.items():
        merged.setdefault((month, None), []).extend(known)
    return {cell: sorted(known) for cell, known in merged.items()}
