"""What each table gets from a run's batches: records and tombstones, customers once a run."""

from __future__ import annotations

from typing import Any

from ..exceptions import MalformedResponseError
from ..options import RunSettings
from ..settings import PARTITION_MONTH_COLUMNS
from .batches import GroupedBatch, InvoiceBatch, ReportBatch
from .grouped import (
    as_extract_values,
    customer_details,
    customer_record,
    grouped_record,
    report_column_records,
    tombstone,
)

Records = list[dict[str, Any]]


class TableRecords:
    """One run's record builders, one per table; each takes every batch and keeps its own."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self._customers: dict[tuple[int, int], tuple[Any, ...]] = {}
        self._headers: Records = []
        self._grouped_columns = tuple(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *settings.columns]))

    def invoices_grouped(self, batch: ReportBatch) -> Records:
        """A tombstone per replaced partition (deleted first), then the partitions' groups."""
        if not isinstance(batch, GroupedBatch):
            return []
        # The due month's columns are always asked for (the refresh unit needs them): stored
        # whatever the configured list says, as docs/tables.md promises.
        provider, columns = batch.provider_id, self._grouped_columns
        records = [tombstone(provider, key, month) for key, month in batch.replaced.items()]
        try:
            records += [
                grouped_record(row, columns, provider, self.settings.by_customer)
                for row in batch.rows
            ]
        except MalformedResponseError as error:
            raise error.at(batch.request) from None
        return records

    def customers(self, batch: ReportBatch) -> Records:
        """A customer comes with each of its groups (17 times a customer in the bench's full
        load): it is written once a run, and again only if its name or email changed since."""
        if not isinstance(batch, GroupedBatch):
            return []
        fresh = {}
        for row in batch.rows:
            record = customer_record(row, batch.provider_id)
            if record is not None:
                key, details = (batch.provider_id, record["id"]), customer_details(record)
                if self._customers.get(key) != details:
                    self._customers[key] = details
                    fresh[record["id"]] = record
        return list(fresh.values())

    def report_columns(self, batch: ReportBatch) -> Records:
        """The column headers, when they differ from the last written (every page has them)."""
        if not isinstance(batch, GroupedBatch):
            return []
        records = report_column_records(batch.column_headers)
        if not records or records == self._headers:
            return []
        self._headers = records
        return records

    def invoices(self, batch: ReportBatch) -> Records:
        """Tombstones for the deleted ids, then the records (dlt's merge deletes first)."""
        if not isinstance(batch, InvoiceBatch):
            return []
        gone = [
            {"provider_id": batch.provider_id, "id": i, "is_deleted": True}
            for i in batch.deleted_ids
        ]
        return [*gone, *map(as_extract_values, batch.records)]
