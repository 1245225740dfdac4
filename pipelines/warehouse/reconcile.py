"""The reconciliation: invoice counts per due month, grouped report against invoice report."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sources.teamup import existing_tables

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonthMismatch:
    """A due month whose invoice count differs between the grouped and the invoice report."""

    provider_id: int
    month: date
    grouped: int
    invoices: int

    def __str__(self) -> str:
        return (
            f"provider {self.provider_id} {self.month:%Y-%m} "
            f"(invoices_grouped {self.grouped}, invoices {self.invoices})"
        )


def mismatched_months(client: Any) -> list[MonthMismatch]:
    """Due months whose invoice count in invoices_grouped differs from the rows in invoices.

    Both are exact copies of TeamUp's reports after a run, so they agree unless a load went
    wrong. Nothing to compare (no invoices table yet) gives no mismatch. `client`: a dlt sql
    client on the warehouse.
    """
    present = existing_tables(client, client.dataset_name)
    if not {"invoices_grouped", "invoices"} <= present:
        logger.info("reconciliation skipped: invoices_grouped and invoices not both loaded")
        return []
    grouped_table = client.make_qualified_table_name("invoices_grouped")
    invoices_table = client.make_qualified_table_name("invoices")
    rows = client.execute_sql(
        f"""
        with grouped as (
            select provider_id, due_month, sum(invoice_count) as invoice_count
            from {grouped_table} group by provider_id, due_month
        ),
        listed as (
            select provider_id, due_month, count(*) as invoice_count
            from {invoices_table} group by provider_id, due_month
        )
        select
            provider_id,
            due_month,
            coalesce(grouped.invoice_count, 0),
            coalesce(listed.invoice_count, 0)
        from grouped full outer join listed using (provider_id, due_month)
        where coalesce(grouped.invoice_count, 0) <> coalesce(listed.invoice_count, 0)
        order by provider_id, due_month
        """
    )
    found = [MonthMismatch(int(p), month, int(g), int(n)) for p, month, g, n in rows]
    if found:
        logger.info("reconciliation: %d due months differ", len(found))
    return found


def describe(mismatches: Iterable[MonthMismatch]) -> str:
    return ", ".join(str(m) for m in mismatches)
