"""What the invoice-level report already knows, lent to the grouped refresh before it plans."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .invoices import InvoiceRefresh
from .missing import Cell, Invoice


class InvoiceLedger:
    """The loaded invoices with the window's changes applied: where each invoice was and is.

    The grouped report cannot say where an invoice went; the invoice-level one can, and its
    window is read once a run anyway (InvoiceRefresh.changed_in keeps it for `load`)."""

    def __init__(self, invoices: InvoiceRefresh, watermark: datetime | None, overlap: timedelta):
        self.invoices, self.watermark, self.overlap = invoices, watermark, overlap

    def _changed(self, until: datetime) -> list[dict[str, Any]]:
        assert self.watermark is not None
        return self.invoices.changed_in(self.watermark - self.overlap, until)

    def departures(self, until: datetime) -> dict[date, set]:
        """Partitions invoices changed in the window have left (re-dated into another month,
        or moved to another customer), by month: the grouped refresh replaces them with the
        ones discovery names, so no checksum listing has to find them."""
        if self.watermark is None:
            return {}
        changed = self._changed(until)
        warehouse, provider_id = self.invoices.warehouse, self.invoices.provider_id
        before = warehouse.invoice_states(provider_id, [r["id"] for r in changed])
        left: dict[date, set] = {}
        for record in changed:
            customer, month, _ = before.get(record["id"], (None, None, None))
            if customer is not None and (customer, month) != (
                record["customer_id"],
                record["due_month"],
            ):
                left.setdefault(month, set()).add(customer)
        return left

    def by_cell(self, months: set[date], until: datetime) -> dict[Cell, list[Invoice]]:
        """Each (due month, status)'s invoices, (id, customer) by id, as the API holds them
        now but for those it lost: the loaded ones with the window's changes applied.
        Empty when the invoice-level table has no watermark to project from."""
        if self.watermark is None or not months:
            return {}
        warehouse, provider_id = self.invoices.warehouse, self.invoices.provider_id
        where = warehouse.invoice_cells(provider_id, months)
        for record in self._changed(until):
            where[record["id"]] = (record["customer_id"], record["due_month"], record["status"])
        cells: dict[Cell, list[Invoice]] = {}
        for invoice, (customer, month, status) in sorted(where.items()):
            if month in months:
                cells.setdefault((month, status), []).append((invoice, customer))
        return cells
