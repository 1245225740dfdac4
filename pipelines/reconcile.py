"""The reconciliation: invoice counts per due month, grouped report against invoice report."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb

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


def mismatched_months(connection: duckdb.DuckDBPyConnection, dataset: str) -> list[MonthMismatch]:
    """Due months whose invoice count in invoices_grouped differs from the rows in invoices.

    Both are exact copies of TeamUp's reports after a run, so they agree unless a load went
    wrong. Nothing to compare (no invoices table yet) gives no mismatch.
    """
    if not {"invoices_grouped", "invoices"} <= existing_tables(connection, dataset):
        logger.info("reconciliation skipped: invoices_grouped and invoices not both loaded")
        return []
    rows = connection.execute(
        f"""
        with grouped as (
            select provider_id, due_month, sum(invoice_count) as invoice_count
            from {dataset}.invoices_grouped group by all
        ),
        listed as (
            select provider_id, due_month, count(*) as invoice_count
            from {dataset}.invoices group by all
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
    ).fetchall()
    found = [MonthMismatch(int(p), month, int(g), int(n)) for p, month, g, n in rows]
    if found:
        logger.info("reconciliation: %d due months differ", len(found))
    return found


def describe(mismatches: Iterable[MonthMismatch]) -> str:
    return ", ".join(str(m) for m in mismatches)
