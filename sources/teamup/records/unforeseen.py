"""What a run's records hold that TeamUp's API docs do not describe, counted for one warning."""

# Loaded as it comes either way: these counts only say it once a run, so that an operator
# learns of a status or purchase type the views may not expect (docs/operations.md, "When
# TeamUp sends what its docs don't describe").

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..settings import DOCUMENTED_GROUPED_KEYS, DOCUMENTED_PURCHASE_TYPES, DOCUMENTED_STATUSES

Unforeseen = Counter  # (kind, value) -> invoices; a new column counts 0 invoices

NO_CUSTOMER = ("customer", None)


def in_invoices(records: Iterable[Mapping[str, Any]]) -> Unforeseen:
    """Invoices (records/invoices.py) of a status or purchase type the docs do not list, or
    without a customer, by what is new."""
    found: Unforeseen = Counter()
    for record in records:
        if record["status"] not in DOCUMENTED_STATUSES:
            found[("status", record["status"])] += 1
        if record["purchase_type"] not in DOCUMENTED_PURCHASE_TYPES:
            found[("purchase type", record["purchase_type"])] += 1
        if record["customer_id"] is None:
            found[NO_CUSTOMER] += 1
    return found


def in_headers(headers: Sequence[Mapping[str, Any]]) -> Unforeseen:
    """Columns of the grouped report's column_headers the docs do not list."""
    keys = {h.get("key") for h in headers if isinstance(h, Mapping)}
    return Counter({("column", key): 0 for key in keys - DOCUMENTED_GROUPED_KEYS})


def describe(found: Mapping[tuple[str, Any], int]) -> str:
    """One line, e.g. "status 'written_off' (3 invoices), invoices without a customer (6)"."""
    parts = []
    for (kind, value), n in sorted(found.items(), key=lambda item: str(item[0])):
        if (kind, value) == NO_CUSTOMER:
            parts.append(f"invoices without a customer ({n})")
        elif kind == "column":
            parts.append(f"column {value!r} in the grouped report's column_headers")
        else:
            parts.append(f"{kind} {value!r} ({n} invoice{'' if n == 1 else 's'})")
    return ", ".join(parts)
