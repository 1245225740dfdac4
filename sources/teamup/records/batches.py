"""What a run hands the tables: grouped rows with the partitions they replace, invoice changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class GroupedBatch:
    """Grouped rows to load for one provider, and the partitions they replace."""

    provider_id: int
    rows: list[dict[str, Any]]
    replaced: dict[str, date]  # partition_key -> due month, each deleted before the insert
    column_headers: list[dict[str, Any]] = field(default_factory=list)
    request: str = ""  # the query that fetched the rows, named when one turns out malformed


@dataclass(frozen=True)
class InvoiceBatch:
    """Invoice records to upsert and invoice ids to delete, for one provider."""

    provider_id: int
    records: list[dict[str, Any]]
    deleted_ids: list[int] = field(default_factory=list)


# Either report's: the source's batches resource yields both, each table takes its own kind.
ReportBatch = GroupedBatch | InvoiceBatch
