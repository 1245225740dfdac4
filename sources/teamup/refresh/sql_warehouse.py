"""The warehouse read through dlt's sql client: the portable SQL behind a run's questions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import date
from typing import Any

from ..exactness.checksum import Cell
from ..exactness.partitions import Partition
from ..settings import GROUPED_TABLE, INVOICES_TABLE


class SqlWarehouse:
    """Reads through a dlt sql client (pipeline.sql_client), opened at the first question and
    kept until `close()` (the source closes it when its run is done). Portable SQL: DuckDB
    and PostgreSQL run every query alike (tests/integration/destinations runs them on both).

    One connection per run, not per question: a run asks once per refreshed month, and each
    opening leaves a heap of cyclic garbage (dlt's configuration resolution, with tracebacks
    holding frames) that pinned about 200 MB of freed rows in a 100,000-invoice load.
    Only the extract thread asks, so the connection is never shared between threads.
    """

    # `open_client` returns a context manager (pipeline.sql_client does), typed Any: dlt types
    # SqlClientBase.__exit__'s arguments without None, so to mypy it is not the one it is.
    def __init__(self, open_client: Callable[[], Any]) -> None:
        self._open_client = open_client
        self._opened: ExitStack | None = None
        self._client: Any = None

    def _connected(self) -> Any:
        if self._client is None:
            self._opened = ExitStack()
            self._client = self._opened.enter_context(self._open_client())
        return self._client

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
        self._opened = self._client = None

    def _query(self, sql: str, *args: Any, table_name: str = GROUPED_TABLE) -> list[tuple]:
        client = self._connected()
        if not client.has_dataset():
            return []
        if table_name not in existing_tables(client, client.dataset_name):
            return []
        table = client.make_qualified_table_name(table_name)
        return client.execute_sql(sql.format(table=table), *args) or []

    def month_status_counts(self, provider_id: int) -> dict[Cell, int]:
        rows = self._query(
            "select due_month, status, sum(invoice_count) from {table} "
            "where provider_id = %s group by due_month, status",
            provider_id,
        )
        return {(month, status): int(count) for month, status, count in rows}

    def month_rows(self, provider_id: int) -> dict[date, int]:
        rows = self._query(
            "select due_month, count(*) from {table} where provider_id = %s group by due_month",
            provider_id,
        )
        return {month: int(count) for month, count in rows}

    def partition_stats(
        self, provider_id: int, customers: Iterable[int] | None
    ) -> tuple[dict[Partition, int], dict[tuple[Partition, str | None], int]]:
        """Groups per partition, and invoices per (partition, status), of these customers
        (None: the grouping has no customer, so the partitions are whole months)."""
        if customers is None:
            rows = self._query(
                "select null, due_month, status, count(*), sum(invoice_count) from {table} "
                "where provider_id = %s group by due_month, status",
                provider_id,
            )
        else:
            wanted = sorted(set(customers))
            if not wanted:
                return {}, {}
            rows = self._query(
                "select customer_id, due_month, status, count(*), sum(invoice_count) "
                "from {table} where provider_id = %s and customer_id in "
                "(select unnest(cast(%s as bigint[]))) group by customer_id, due_month, status",
                provider_id,
                wanted,
            )
        groups: dict[Partition, int] = defaultdict(int)
        counts: dict[tuple[Partition, str | None], int] = {}
        for customer, month, status, group_rows, invoices in rows:
            groups[(customer, month)] += int(group_rows)
            counts[((customer, month), status)] = int(invoices)
        return dict(groups), counts

    def partitions_in_months(self, provider_id: int, months: Iterable[date]) -> dict[str, date]:
        wanted = sorted(set(months))
        if not wanted:
            return {}
        rows = self._query(
            "select distinct partition_key, due_month from {table} "
            "where provider_id = %s and due_month in (select unnest(cast(%s as date[])))",
            provider_id,
            wanted,
        )
        return dict(rows)

    def customer_counts(
        self, provider_id: int, month: date, status: str | None
    ) -> dict[int | None, int]:
        """Invoices per customer of one due month and status (None: status not grouped)."""
        rows = self._query(
            "select customer_id, sum(invoice_count) from {table} "
            "where provider_id = %s and due_month = %s and status is not distinct from %s "
            "group by customer_id",
            provider_id,
            month,
            status,
        )
        return {customer: int(count) for customer, count in rows}

    def invoice_months(self, provider_id: int) -> set[date]:
        rows = self._query(
            "select distinct due_month from {table} where provider_id = %s",
            provider_id,
            table_name=INVOICES_TABLE,
        )
        return {month for (month,) in rows}

    def invoice_month_status_counts(self, provider_id: int) -> dict[Cell, int]:
        rows = self._query(
            "select due_month, status, count(*) from {table} where provider_id = %s "
            "group by due_month, status",
            provider_id,
            table_name=INVOICES_TABLE,
        )
        return {(month, status): int(count) for month, status, count in rows}

    def invoice_states(
        self, provider_id: int, ids: Iterable[int]
    ) -> dict[int, tuple[int, date, str]]:
        """Customer, due month and status of each of these invoices that is loaded."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._query(
            "select id, customer_id, due_month, status from {table} where provider_id = %s "
            "and id in (select unnest(cast(%s as bigint[])))",
            provider_id,
            wanted,
            table_name=INVOICES_TABLE,
        )
        return {invoice: (customer, month, status) for invoice, customer, month, status in rows}

    def invoice_ids(
        self,
        provider_id: int,
        months: Iterable[date] | None = None,
        partitions: Iterable[Partition] | None = None,
    ) -> dict[int, date]:
        """Ids (and due months) of the loaded invoices in these months or partitions."""
        if months is not None:
            rows = self._query(
                "select id, due_month from {table} where provider_id = %s "
                "and due_month in (select unnest(cast(%s as date[])))",
                provider_id,
                sorted(set(months)),
                table_name=INVOICES_TABLE,
            )
            return dict(rows)
        wanted = sorted(set(partitions or ()), key=str)
        if not wanted:
            return {}
        customers = sorted({c for c, _ in wanted if c is not None})
        rows = self._query(
            "select id, due_month, customer_id from {table} where provider_id = %s "
            "and customer_id in (select unnest(cast(%s as bigint[])))",
            provider_id,
            customers,
            table_name=INVOICES_TABLE,
        )
        keep = set(wanted)
        return {i: month for i, month, customer in rows if (customer, month) in keep}

    def invoice_partitions(
        self, provider_id: int, partitions: Iterable[Partition]
    ) -> dict[int, Partition]:
        """The partition, (customer, due month), of each loaded invoice in these partitions."""
        keep = set(partitions)
        customers = sorted({c for c, _ in keep if c is not None})
        if not customers:
            return {}
        rows = self._query(
            "select id, customer_id, due_month from {table} where provider_id = %s "
            "and customer_id in (select unnest(cast(%s as bigint[])))",
            provider_id,
            customers,
            table_name=INVOICES_TABLE,
        )
        return {i: (c, m) for i, c, m in rows if (c, m) in keep}

    def invoice_cells(
        self, provider_id: int, months: Iterable[date]
    ) -> dict[int, tuple[int, date, str]]:
        """Customer, due month and status of each loaded invoice due in these months."""
        rows = self._query(
            "select id, customer_id, due_month, status from {table} where provider_id = %s "
            "and due_month in (select unnest(cast(%s as date[])))",
            provider_id,
            sorted(set(months)),
            table_name=INVOICES_TABLE,
        )
        return {invoice: (customer, month, status) for invoice, customer, month, status in rows}


def existing_tables(connection: Any, schema: str) -> set[str]:
    """The tables (not views) of one schema: the one check of what is loaded, through a dlt
    sql client (pipeline.sql_client) or a DuckDB connection."""
    sql = (
        "select table_name from information_schema.tables where table_catalog = "
        "current_database() and table_schema = {0} and table_type = 'BASE TABLE'"
    )
    if hasattr(connection, "execute_sql"):
        rows = connection.execute_sql(sql.format("%s"), schema) or []
    else:
        rows = connection.execute(sql.format("?"), [schema]).fetchall()
    return {name for (name,) in rows}
