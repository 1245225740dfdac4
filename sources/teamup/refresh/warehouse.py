"""What the warehouse already holds, read back to decide what a run must refresh."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cached_property
from typing import Protocol

from ..exactness.checksum import Cell
from ..exactness.partitions import Partition, Place


class Warehouse(Protocol):
    """The source's read-only view of the loaded grouped data of one provider at a time."""

    def month_status_counts(self, provider_id: int) -> dict[Cell, int]: ...

    def month_rows(self, provider_id: int) -> dict[date, int]: ...

    def partition_stats(
        self, provider_id: int, customers: Iterable[int] | None
    ) -> tuple[dict[Partition, int], dict[tuple[Partition, str | None], int]]: ...

    def partitions_in_months(self, provider_id: int, months: Iterable[date]) -> dict[str, date]: ...

    def customer_counts(
        self, provider_id: int, month: date, status: str | None
    ) -> dict[int | None, int]: ...

    def invoice_months(self, provider_id: int) -> set[date]: ...

    def invoice_month_status_counts(self, provider_id: int) -> dict[Cell, int]: ...

    def invoice_states(
        self, provider_id: int, ids: Iterable[int]
    ) -> dict[int, tuple[int, date, str]]: ...

    def invoice_ids(
        self,
        provider_id: int,
        months: Iterable[date] | None = None,
        partitions: Iterable[Partition] | None = None,
    ) -> dict[int, date]: ...

    def invoice_partitions(
        self, provider_id: int, partitions: Iterable[Partition]
    ) -> dict[int, Partition]: ...

    def invoice_cells(
        self, provider_id: int, months: Iterable[date]
    ) -> dict[int, tuple[int, date, str]]: ...

    def close(self) -> None: ...


class EmptyWarehouse:
    """A warehouse with nothing loaded: the first run."""

    def month_status_counts(self, provider_id: int) -> dict[Cell, int]:
        return {}

    def month_rows(self, provider_id: int) -> dict[date, int]:
        return {}

    def partition_stats(
        self, provider_id: int, customers: Iterable[int] | None
    ) -> tuple[dict[Partition, int], dict[tuple[Partition, str | None], int]]:
        return {}, {}

    def partitions_in_months(self, provider_id: int, months: Iterable[date]) -> dict[str, date]:
        return {}

    def customer_counts(
        self, provider_id: int, month: date, status: str | None
    ) -> dict[int | None, int]:
        return {}

    def invoice_months(self, provider_id: int) -> set[date]:
        return set()

    def invoice_month_status_counts(self, provider_id: int) -> dict[Cell, int]:
        return {}

    def invoice_states(
        self, provider_id: int, ids: Iterable[int]
    ) -> dict[int, tuple[int, date, str]]:
        return {}

    def invoice_ids(
        self,
        provider_id: int,
        months: Iterable[date] | None = None,
        partitions: Iterable[Partition] | None = None,
    ) -> dict[int, date]:
        return {}

    def invoice_partitions(
        self, provider_id: int, partitions: Iterable[Partition]
    ) -> dict[int, Partition]:
        return {}

    def invoice_cells(
        self, provider_id: int, months: Iterable[date]
    ) -> dict[int, tuple[int, date, str]]:
        return {}

    def close(self) -> None:
        pass


class ProviderWarehouse:
    """What is loaded of one provider, as its run reads it: plain values, read on demand.

    Nothing writes the warehouse while a run extracts (dlt loads afterwards), so what is read
    once stays true for the whole run."""

    def __init__(self, warehouse: Warehouse, provider_id: int) -> None:
        self.warehouse, self.provider_id = warehouse, provider_id

    @cached_property
    def month_rows(self) -> dict[date, int]:
        """Groups per due month."""
        return self.warehouse.month_rows(self.provider_id)

    @cached_property
    def month_status_counts(self) -> dict[Cell, int]:
        """Invoices per (due month, status): projected against the checksum twice a run."""
        return self.warehouse.month_status_counts(self.provider_id)

    def partition_stats(
        self, customers: Iterable[int]
    ) -> tuple[dict[Partition, int], dict[tuple[Partition, str | None], int]]:
        return self.warehouse.partition_stats(self.provider_id, customers)

    def partitions_in_months(self, months: Iterable[date]) -> dict[str, date]:
        return self.warehouse.partitions_in_months(self.provider_id, months)

    def customer_counts(self, month: date, status: str | None) -> dict[int | None, int]:
        return self.warehouse.customer_counts(self.provider_id, month, status)

    def invoice_months(self) -> set[date]:
        return self.warehouse.invoice_months(self.provider_id)

    def invoice_month_status_counts(self) -> dict[Cell, int]:
        return self.warehouse.invoice_month_status_counts(self.provider_id)

    def invoice_places(self, ids: Iterable[int]) -> dict[int, Place]:
        """Where each of these loaded invoices is (customer, due month, status)."""
        found = self.warehouse.invoice_states(self.provider_id, ids)
        return {invoice: Place(*where) for invoice, where in found.items()}

    def invoice_places_in_months(self, months: Iterable[date]) -> dict[int, Place]:
        found = self.warehouse.invoice_cells(self.provider_id, months)
        return {invoice: Place(*where) for invoice, where in found.items()}

    def invoice_ids_in_months(self, months: Iterable[date]) -> dict[int, date]:
        return self.warehouse.invoice_ids(self.provider_id, months=months)

    def invoice_ids_in_partitions(self, partitions: Iterable[Partition]) -> dict[int, date]:
        return self.warehouse.invoice_ids(self.provider_id, partitions=partitions)

    def invoice_partitions(self, partitions: Iterable[Partition]) -> dict[int, Partition]:
        return self.warehouse.invoice_partitions(self.provider_id, partitions)
