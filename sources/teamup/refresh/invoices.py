"""The invoice-level report's step of a run: the changes, the lost partitions' ids, the checksum."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..exactness.checksum import Cell, cells_off_checksum, months_of
from ..exactness.fetch_plan import plan_partition_fetches
from ..exactness.invoice_ids import (
    invoice_changes,
    latest_records,
    missing_ids,
    partitions_to_check,
)
from ..exactness.partitions import places, short_partitions
from ..records.batches import InvoiceBatch
from .grouped import GroupedPlan
from .reports import InvoiceReport
from .warehouse import ProviderWarehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvoicePlan:
    """What a run replaces in invoices: one batch of changes, then months refreshed whole."""

    batch: InvoiceBatch | None = None
    whole_months: frozenset[date] = frozenset()
    upserted: frozenset[int] = field(default_factory=frozenset)  # ids the batch writes


def first_load(known: ProviderWarehouse, api_counts: Mapping[Cell, int]) -> InvoicePlan:
    """Every month the API or the warehouse has, refreshed whole."""
    return InvoicePlan(whole_months=frozenset(months_of(api_counts) | known.invoice_months()))


def refresh_invoices(
    report: InvoiceReport,
    known: ProviderWarehouse,
    api_counts: Mapping[Cell, int],
    changed: Sequence[dict[str, Any]],
    grouped: GroupedPlan,
) -> InvoicePlan:
    """Step 10: the window's changes, plus the invoices of the partitions that lost some
    (the grouped refresh's, and those whose ids would not add up); ids loaded there that
    the API no longer has are deleted; months still off the checksum are refreshed whole."""
    window = places(changed)
    refreshed = {p: n for p, n in grouped.refreshed.items() if p[0] is not None}
    short = (
        short_partitions(refreshed, known.invoice_partitions(refreshed), window)
        if refreshed
        else {}
    )
    lost = partitions_to_check(grouped.lost, short)
    checked, missing = [], {}
    if lost:
        plan = plan_partition_fetches(lost, {}, {}, allow_whole_months=False)
        checked = report.partitions(plan.fetches)
        partitions = {(c, m) for m, cs in lost.items() for c in cs}
        loaded = known.invoice_ids_in_partitions(partitions)
        missing = missing_ids(loaded, {record["id"] for record in checked})
    records = latest_records(checked, changed)
    whole = months_of(_off_checksum(known, api_counts, records, missing))
    if whole:
        logger.info(
            "provider %s: %d invoice months re-fetched whole", report.provider_id, len(whole)
        )
    changes = invoice_changes(records, missing, whole)
    batch = InvoiceBatch(report.provider_id, list(changes.upserts), list(changes.deletes))
    return InvoicePlan(batch, frozenset(whole), frozenset(records))


def _off_checksum(
    known: ProviderWarehouse,
    api_counts: Mapping[Cell, int],
    records: Mapping[int, dict[str, Any]],
    missing: Mapping[int, date],
) -> set[Cell]:
    """Cells whose invoices, once the records are in and the missing ids out, differ."""
    before = known.invoice_places({*records, *missing})
    replaced = Counter((place.month, place.status) for place in before.values())
    fetched = Counter((record["due_month"], record["status"]) for record in records.values())
    return cells_off_checksum(known.invoice_month_status_counts(), replaced, fetched, api_counts)
