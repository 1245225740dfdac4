"""The audit's months kept in the warehouse before their re-fetch, and compared there after."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sources.teamup import existing_tables
from sources.teamup.exactness.audit import (
    Settled,
    TableDrift,
    diff_rows,
    merge_drift,
    settled_keys,
)

logger = logging.getLogger(__name__)

DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")  # differ after any reload: never drift
PREFIX = "audit_before_"  # a snapshot table's name: the prefix, then its table's
# Rows that differ are read into Python this many at a time (the months' rows never are),
# so the audit's memory does not grow with a month's size, nor with its drift.
BATCH_ROWS = 500
MONTHS = "provider_id = %s and due_month in (select unnest(cast(%s as date[])))"

MOVED = ("id", "provider_id", "due_month", "customer_id")  # of a row stamped in the night
Relation = tuple[str, list[Any]]  # a select and its arguments
Pair = tuple[Relation, Relation]  # a table's rows before and after


@dataclass(frozen=True)
class _Table:
    name: str
    key: str
    settled_by: str  # the column whose settled values leave a row out
    settled_type: str


TABLES = (  # customers last: theirs are the customers of the other two tables' rows
    _Table("invoices", "id", "id", "bigint"),
    _Table("invoices_grouped", "group_key", "partition_key", "text"),
    _Table("customers", "id", "id", "bigint"),
)


class MonthSnapshot:
    """`with MonthSnapshot(pipeline.sql_client, provider, months) as before:` keeps the
    months' rows of the three tables in tables of their own (`audit_before_*`, in the
    warehouse, not in Python); `before.compare(since)` after the re-fetch says what differs;
    leaving drops them."""

    def __init__(self, open_client: Callable[[], Any], provider: int, months: list[date]):
        self._open_client = open_client
        self._provider, self._months = provider, months

    def __enter__(self) -> MonthSnapshot:
        with self._open_client() as client:
            self._drop(client)  # a killed run's, if any
            present = existing_tables(client, client.dataset_name)
            for table in TABLES:
                relation = self._live(client, table.name, present)
                if relation is not None:
                    sql, args = relation
                    client.execute_sql(f"create table {_snapshot(client, table)} as {sql}", *args)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            with self._open_client() as client:
                self._drop(client)
        except Exception as error:
            if kind is None:
                raise
            logger.warning("the audit's snapshot tables were not dropped: %s", error)

    @staticmethod
    def _drop(client: Any) -> None:
        for table in TABLES:
            client.execute_sql(f"drop table if exists {_snapshot(client, table)}")

    def compare(self, since: datetime) -> tuple[TableDrift, ...]:
        """What differs, table by table, leaving out what TeamUp stamped since `since` (the
        night's load began then): those invoices, their grouped partitions and customers."""
        with self._open_client() as client:
            present = existing_tables(client, client.dataset_name)
            pairs = {table.name: self._pair(client, table, present) for table in TABLES}
            settled = settled_keys(_moved(client, pairs["invoices"], since))
            drift = []
            for table in TABLES:
                pair = pairs[table.name]
                if pair is not None:
                    parts = _differing(client, table, *pair, _settled(table, settled))
                    drift.append(merge_drift(table.name, parts))
        return tuple(table for table in drift if table.rows)

    def _pair(self, client: Any, table: _Table, present: set[str]) -> Pair | None:
        """The table's rows before (its snapshot) and after (the live months), either side
        empty where its table is missing; None when both are."""
        before: Relation | None = None
        if PREFIX + table.name in present:
            before = (f"select * from {_snapshot(client, table)}", [])
        after = self._live(client, table.name, present)
        if before is None:
            return None if after is None else (_empty(after), after)
        return before, after or _empty(before)

    def _live(self, client: Any, name: str, present: set[str]) -> Relation | None:
        """The audited months' rows of a table as the warehouse has them now."""
        if name not in present:
            return None
        qualified = client.make_qualified_table_name(name)
        if name != "customers":
            return f"select * from {qualified} where {MONTHS}", [self._provider, self._months]
        owners = [
            f"select customer_id from {client.make_qualified_table_name(other)} where {MONTHS}"
            for other in ("invoices_grouped", "invoices")
            if other in present
        ]
        if not owners:
            return None
        whose = " union ".join(owners)
        sql = f"select * from {qualified} where provider_id = %s and id in ({whose})"
        return sql, [self._provider, *[self._provider, self._months] * len(owners)]


def _snapshot(client: Any, table: _Table) -> str:
    return client.make_qualified_table_name(PREFIX + table.name)


def _empty(relation: Relation) -> Relation:
    sql, args = relation
    return f"select * from ({sql}) nothing where 1 = 0", args


def _columns(client: Any, relation: Relation) -> list[str]:
    sql, args = relation
    with client.execute_query(f"select * from ({sql}) shape where 1 = 0", *args) as cursor:
        return [c[0] for c in cursor.description if c[0] not in DLT_COLUMNS]


def _moved(client: Any, pair: Pair | None, since: datetime) -> list[dict]:
    """The invoice rows, before or after, stamped since the night began: a few at most."""
    found: list[dict] = []
    for sql, args in pair or ():
        if "updated_at" not in _columns(client, (sql, args)):
            continue
        rows = client.execute_sql(
            f"select {', '.join(MOVED)} from ({sql}) m where updated_at >= %s",
            *args,
            since,
        )
        found += [dict(zip(MOVED, row, strict=True)) for row in rows]
    return found


def _settled(table: _Table, settled: Settled) -> list[Any]:
    values = {"invoices": settled.invoices, "invoices_grouped": settled.partitions}
    return sorted(values.get(table.name, settled.customers))


def _differing(
    client: Any, table: _Table, before: Relation, after: Relation, settled: list[Any]
) -> Iterator[TableDrift]:
    """The rows that differ between the two sides (by key; a column one side lacks is NULL
    there), found by the warehouse and diffed BATCH_ROWS at a time, in key order."""
    old_columns, new_columns = _columns(client, before), _columns(client, after)
    columns = old_columns + [name for name in new_columns if name not in old_columns]
    key = client.escape_column_name(table.key)
    olds, news, differs = [], [], [f"b.{key} is null", f"a.{key} is null"]
    for name in columns:
        column = client.escape_column_name(name)
        olds.append(f"b.{column}" if name in old_columns else "null")
        news.append(f"a.{column}" if name in new_columns else "null")
        if name in old_columns and name in new_columns:
            differs.append(f"b.{column} is distinct from a.{column}")
        else:
            differs.append(f"{olds[-1] if name in old_columns else news[-1]} is not null")
    where, where_args = [f"({' or '.join(differs)})"], []
    by = client.escape_column_name(table.settled_by)
    for side, names in (("b", old_columns), ("a", new_columns)):
        if settled and table.settled_by in names:
            listed = f"select unnest(cast(%s as {table.settled_type}[]))"
            where.append(f"not coalesce({side}.{by} in ({listed}), false)")
            where_args.append(settled)
    select = (
        f"select coalesce(b.{key}, a.{key}), b.{key} is not null, a.{key} is not null, "
        f"{', '.join(olds + news)} from ({before[0]}) b full outer join ({after[0]}) a "
        f"on b.{key} = a.{key} where {' and '.join(where)}"
    )
    args = [*before[1], *after[1], *where_args]
    width, last = len(columns), None
    while True:
        after_last = "" if last is None else f" and coalesce(b.{key}, a.{key}) > %s"
        rows = client.execute_sql(
            f"{select}{after_last} order by 1 limit {int(BATCH_ROWS)}",
            *args,
            *([] if last is None else [last]),
        )
        rows = rows or []
        old = {r[0]: dict(zip(columns, r[3 : 3 + width], strict=True)) for r in rows if r[1]}
        new = {r[0]: dict(zip(columns, r[3 + width :], strict=True)) for r in rows if r[2]}
        yield diff_rows(table.name, old, new)
        if len(rows) < BATCH_ROWS:
            return
        last = rows[-1][0]
