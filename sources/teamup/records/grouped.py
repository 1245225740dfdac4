"""API rows to warehouse records: invoices_grouped, customers and report_columns."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..api.pages import row_reference
from ..exactness.partitions import month_of, partition_key
from ..exceptions import MalformedResponseError
from ..settings import COLUMN_ALIASES, GROUPED_ENDPOINT

INTEGER_COLUMNS = frozenset(
    {
        "due_date_year",
        "due_date_month",
        "payment_year",
        "payment_month",
        "payout_year",
        "payout_month",
    }
)


# What names a bad grouped row in an error message (no names or emails)
GROUPED_ROW_KEYS = ("due_date_year", "due_date_month", "status", "customer.id", "count")


def canonical(column: str) -> str:
    """The key a requested column comes back under (customer_id -> customer.id)."""
    return COLUMN_ALIASES.get(column, column)


def _dig(row: Mapping[str, Any], key: str) -> Any:
    """The value at a dot-notation key; KeyError when the row lacks it."""
    if "." not in key:  # most keys: the row is a parsed JSON object
        return row[key]
    value: Any = row
    for part in key.split("."):
        if not isinstance(value, dict | Mapping):
            raise KeyError(key)
        value = value[part]
    return value


def _bad(message: str, row: Mapping[str, Any]) -> MalformedResponseError:
    shown = row_reference(row, GROUPED_ROW_KEYS)
    return MalformedResponseError(f"{message} in row {shown}", endpoint=GROUPED_ENDPOINT)


def _integer(value: Any, column: str, row: Mapping[str, Any]) -> int | None:
    """The API writes some of these as strings ("07"); all are whole numbers or null."""
    if type(value) is int:  # the usual cases first: this runs for every cell of a load
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
        raise _bad(f"`{column}` is not a whole number ({value!r})", row)
    return int(value)


def row_month(row: Mapping[str, Any]) -> date:
    try:
        year = _integer(_dig(row, "due_date_year"), "due_date_year", row)
        month = _integer(_dig(row, "due_date_month"), "due_date_month", row)
        return month_of(year, month)  # type: ignore[arg-type]  # None: a TypeError, caught below
    except (KeyError, TypeError, ValueError):
        raise _bad("no valid due_date_year/due_date_month", row) from None


def row_customer(row: Mapping[str, Any]) -> int | None:
    """The customer id of a grouped row; None for a row sold to no customer.

    The docs show a customer object with an id and never say one is required: a walk-in's
    store purchase may come as `"customer": null` (or an object of nulls). Such a row
    loads with customer_id NULL, in its month's customerless partition, which only a
    whole-month refresh can ask for again (no `customers` filter names it). A customer with a
    name or email but no id, or one that is not an object, is a broken page."""
    customer = row.get("customer")
    if customer is None:
        return None
    if not isinstance(customer, Mapping):
        raise _bad(f"`customer` is not an object ({type(customer).__name__})", row)
    if customer.get("id") is None:
        if any(value is not None for value in customer.values()):
            # a name or email without an id: no partition could hold it apart from others
            raise _bad(f"`customer` has no id ({sorted(customer)!r})", row)  # keys, no name
        return None
    return _integer(customer["id"], "customer.id", row)


def row_count(row: Mapping[str, Any]) -> int:
    """`count` is documented as a string of digits; anything else is a broken page."""
    value = row.get("count")
    if isinstance(value, bool) or value is None or not str(value).isdigit():
        raise _bad(f"`count` is not a count ({value!r})", row)
    return int(value)


# How grouped_record treats each requested column, worked out once per set of columns.
_SKIP, _ITEM, _INTEGER, _PLAIN = range(4)


@lru_cache(maxsize=8)
def _column_plan(columns: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    plan = []
    for column in columns:
        key = canonical(column)
        if key == "customer" or key.startswith("customer."):
            kind = _SKIP  # kept as customer_id; names and emails go to `customers`
        elif key == "purchased_item":
            kind = _ITEM
        else:
            kind = _INTEGER if key in INTEGER_COLUMNS else _PLAIN
        plan.append((key, kind))
    return tuple(plan)


def grouped_record(
    row: Mapping[str, Any], columns: Sequence[str], provider_id: int, by_customer: bool
) -> dict[str, Any]:
    """One invoices_grouped record: the nested customer reduced to customer_id,
    purchased_item flattened, months as integers, the count as an integer."""
    month = row_month(row)
    customer_id = row_customer(row) if by_customer else None
    record: dict[str, Any] = {"provider_id": provider_id}
    for key, kind in _column_plan(tuple(columns)):
        try:
            value = _dig(row, key)
        except KeyError:
            raise _bad(f"the requested column `{key}` is missing", row) from None
        if kind == _PLAIN:
            record[key] = value
        elif kind == _INTEGER:
            record[key] = _integer(value, key, row)
        elif kind == _ITEM:
            item = value if isinstance(value, Mapping) else {}
            record["purchased_item_id"] = item.get("id")
            record["purchased_item_name"] = item.get("name")
            record.update(
                {f"purchased_item_{k}": v for k, v in item.items() if k not in ("id", "name")}
            )
    if by_customer:
        record["customer_id"] = customer_id
    record["due_month"] = month.isoformat()  # text for dlt: see as_extract_values
    record["invoice_count"] = row_count(row)
    record["partition_key"] = partition_key(provider_id, month, customer_id)
    record["group_key"] = _group_key(record)
    return record


# One encoder for every group key: json.dumps with options builds a new one per call.
_GROUP_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


def _group_key(record: Mapping[str, Any]) -> str:
    """A stable id of the group: its attribute values, hashed (NULLs cannot be primary keys)."""
    attributes = {k: v for k, v in record.items() if k not in ("invoice_count", "partition_key")}
    text = _GROUP_KEY_JSON.encode(attributes)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def tombstone(provider_id: int, partition: str, month: date) -> dict[str, Any]:
    """A row that only deletes: its partition's old rows go, it is never inserted."""
    return {
        "provider_id": provider_id,
        "partition_key": partition,
        "group_key": f"tombstone/{partition}",
        "due_month": month.isoformat(),
        "invoice_count": 0,
        "is_deleted": True,
    }


def customer_record(row: Mapping[str, Any], provider_id: int) -> dict[str, Any] | None:
    customer = row.get("customer")
    if not isinstance(customer, Mapping) or customer.get("id") is None:
        return None
    record = {"provider_id": provider_id, "id": int(customer["id"])}
    for field in ("name", "email"):
        if field in customer:
            record[field] = customer[field]
    return record


def customer_details(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a customer record says beyond its key (an absent field is written as null)."""
    return record.get("name"), record.get("email")


def report_column_records(headers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for header in headers:
        if not isinstance(header, Mapping) or "key" not in header:
            continue
        sort = found if isinstance(found := header.get("sorted"), Mapping) else {}
        records.append(
            {
                "key": header["key"],
                "label": header.get("label"),
                "sortable": header.get("sortable"),
                "holds_customer_id": header.get("holds_customer_id"),
                "required": header.get("required"),
                "sort_order": sort.get("order"),
                "sort_priority": sort.get("priority"),
            }
        )
    return records


def as_extract_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its Decimal and date values as text (exact decimal, ISO date).

    dlt's extract writes items with orjson, which sends every Decimal and date through a
    Python callback (to keep their type): 14 of them per invoice. Text is written natively,
    which halves the time dlt takes to write the invoices; dlt's normalize turns it back into
    the column's declared type (hints.py): Decimal(text), date.fromisoformat, both exact and
    cheap. (Timestamps stay datetimes: normalize parses text ones far more slowly.) Those
    types are a frozen contract, so a value that would not convert fails the load rather
    than landing in a variant column."""
    return {
        key: str(value)
        if type(value) is Decimal
        else value.isoformat()
        if type(value) is date
        else value
        for key, value in record.items()
    }
