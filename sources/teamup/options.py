"""The settings one run works with, as the source resolved them from its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .records.grouped import canonical
from .settings import CUSTOMER_COLUMNS, PARTITION_MONTH_COLUMNS


@dataclass(frozen=True)
class RunSettings:
    columns: tuple[str, ...]  # the grouped report's attribute columns, as configured
    start_date: date | None
    overlap: timedelta
    lag: timedelta

    @property
    def by_customer(self) -> bool:
        """Partitions are (customer, due month); without a customer column, due months."""
        return any(column in CUSTOMER_COLUMNS for column in self.columns)

    @property
    def by_status(self) -> bool:
        return "status" in self.columns

    @property
    def sort(self) -> list[str]:
        """Every grouping column, so offset paging walks one fixed order."""
        keys = [canonical(column) for column in self.columns]
        return list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *keys]))
