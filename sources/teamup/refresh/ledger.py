"""What the invoice-level report already knows, lent to the grouped refresh before it plans."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..exactness.bisect import Cell, Invoice
from ..refresh.invoice_refresh import InvoiceRefresh


class InvoiceLedger:
    """The loaded invoices with the window's changes applied: where each invoice was and is.

    The grouped report cannot say where an invoice went; the invoice-level one can, and its
    window is read once a run anyway (InvoiceRefresh.changed_in keeps it for `load`)."""

    def __init__(self, invoices: InvoiceRefresh, watermark: datetime | None, overlap: timedelta):
        self.invoices, self.watermark, self.overlap = invoices, watermark, overlap

    def _changed(self, until: datetime) -> list[dict[str, Any]]:
        assert self.watermark is not None
        return self.invoices.changed_in(self.watermark - self.overlap, until)

    def touched(self, since: datetime, until: datetime) -> dict[date, set] | None:
        """The partitions, by due month, that invoices updated in [since, until] are in now or
        were in before (re-dated into another month, or moved to another customer).

        The grouped report's discovery names the first kind at the cost of its own pages over
        the window; the invoice-level window, read once a run anyway, names both. Both reports
        count the same invoices and stamp the same updated_at. None when it cannot stand in:
        its window starts after `since` (a first invoice-level load), or an invoice in it has
        no customer (no partition to name)."""
        if self.watermark is None or self.watermark - self.overlap > since:
            return None
        changed = self._changed(until)
        if any(record["customer_id"] is None for record in changed):
            return None
        warehouse, provider_id = self.invoices.warehouse, self.invoices.provider_id
        before = warehouse.invoice_states(provider_id, [r["id"] for r in changed])
        touched: dict[date, set] = {}
        for record in changed:
            touched.setdefault(record["due_month"], set()).add(record["customer_id"])
            customer, month, _ = before.get(record["id"], (None, None, None))
            if customer is not None:
                touched.setdefault(month, set()).add(customer)
        return touched

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
