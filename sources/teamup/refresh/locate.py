"""Step 8: the partitions behind the cells off the checksum, found as cheaply as they can be."""

# Economy only: what is found here is fetched again and the checksum compared once more;
# a month still off is refreshed whole (orchestrator step 9), so a wrong guess costs
# requests, never exactness.

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..exactness.bisect import locate_missing
from ..exactness.cells import (
    choose_bisect_or_list,
    customers_per_cell,
    invoices_per_cell,
    listing_differences,
    months_cheaper_whole,
    unlistable,
)
from ..exactness.checksum import Cell, months_of
from ..exactness.partitions import Place, merged
from ..options import RunSettings
from ..records.batches import GroupedBatch
from .batches import customer_cell_counts, partitions_of
from .reports import GroupedReport
from .warehouse import ProviderWarehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Located:
    """Partitions that lost invoices, by month; months cheaper to refresh whole; the cost."""

    partitions: Mapping[date, set[int]] = field(default_factory=dict)
    whole_months: frozenset[date] = frozenset()
    requests: int = 0


def locate_lost(
    report: GroupedReport,
    known: ProviderWarehouse,
    settings: RunSettings,
    off: Collection[Cell],
    fetched: Sequence[GroupedBatch],
    changed: Mapping[int, Place] | None,
    api_counts: Mapping[Cell, int],
) -> Located:
    """Per off cell: its month whole, its ids bisected (exactness/bisect.py), or its customers
    listed and compared with ours (exactness/cells.py decides which)."""
    if not off:
        return Located()
    if not settings.by_customer:  # a partition is a whole month: nothing to narrow down
        return Located(whole_months=frozenset(months_of(off)))
    before = report.client.requests_made
    loaded = {cell: known.customer_counts(*cell) for cell in off}
    ours = customers_per_cell(loaded, partitions_of(fetched), customer_cell_counts(fetched))
    whole = months_cheaper_whole(ours, known.month_rows)
    cells = {cell for cell in off if cell[0] not in whole}
    invoices = None
    if changed is not None and cells:  # the invoice-level table can say which ids each holds
        where = known.invoice_places_in_months(months_of(cells))
        invoices = invoices_per_cell(where, changed, months_of(cells), settings.by_status)
    choices = choose_bisect_or_list(cells, ours, invoices, api_counts)
    found: dict[date, set[int]] = {}
    unexplained: set[Cell] = set()
    if choices.bisect:
        found, unexplained = locate_missing(choices.bisect, api_counts, report.counts_above)
        logger.info(
            "provider %s: %d cells bisected by invoice id, %d partitions found",
            report.provider_id,
            len(choices.bisect) - len(unexplained),
            sum(len(customers) for customers in found.values()),
        )
    to_list = choices.listing | unexplained
    unasked = unlistable(to_list, settings.by_status)  # their months go whole
    listing = sorted(to_list - unasked, key=str)
    listed = dict(zip(listing, report.customers_of_cells(listing), strict=True))
    partitions = merged(found, listing_differences(listed, ours))
    whole |= months_of(unasked)
    return Located(partitions, frozenset(whole), report.client.requests_made - before)
