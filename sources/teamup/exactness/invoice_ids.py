"""The invoice-level id diff: which loaded invoices are gone, and which have only moved."""

# Invoices carry updated_at, so a run upserts those changed in its window (a re-dated
# invoice simply moves). What no window shows are deletions: the partitions that lost
# invoices (cells.py, partitions.short_partitions) are fetched by customer and their ids
# compared with the warehouse's. An invoice missing from a checked partition may only have
# moved (re-dated, or to another customer) and be among the run's records: it is upserted,
# never also deleted (a tombstone beside its record, one primary key in one load, would let
# dlt's dedup pick either).

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .partitions import merged

Record = dict[str, Any]


def partitions_to_check(*found: Mapping[date, set]) -> dict[date, set[int]]:
    """The partitions, by month, whose invoices are fetched by customer (None dropped)."""
    lost = {month: {c for c in cs if c is not None} for month, cs in merged(*found).items()}
    return {month: customers for month, customers in lost.items() if customers}


def missing_ids(loaded: Mapping[int, date], present: Collection[int]) -> dict[int, date]:
    """Loaded invoices of the checked partitions the API no longer has there (id -> month)."""
    return {invoice: month for invoice, month in loaded.items() if invoice not in present}


def latest_records(*batches: Iterable[Record]) -> dict[int, Record]:
    """One record per invoice id, a later batch's winning (the window's over a partition's)."""
    records: dict[int, Record] = {}
    for batch in batches:
        records.update((record["id"], record) for record in batch)
    return records


@dataclass(frozen=True)
class InvoiceChanges:
    """What the invoice batch of a run upserts and deletes."""

    upserts: Sequence[Record]
    deletes: Sequence[int]


def invoice_changes(
    records: Mapping[int, Record], missing: Mapping[int, date], whole_months: Collection[date]
) -> InvoiceChanges:
    """The run's records and deletions outside the months refreshed whole (those replace
    everything of theirs); a missing id that is among the records has moved: upserted only."""
    upserts = [r for r in records.values() if r["due_month"] not in whole_months]
    deletes = [
        invoice
        for invoice, month in missing.items()
        if month not in whole_months and invoice not in records
    ]
    return InvoiceChanges(upserts, deletes)
