"""GET /reports/invoices.grouped/data: grouping, counts, columns and their value types."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from sandbox import Sandbox
from sandbox.model import Invoice

from .helpers import GROUPED, LONDON, PROCESSORS, Api, snapshot


def _item_names(sandbox: Sandbox) -> dict[int, str]:
    return {item.id: item.name for item in sandbox.store.provider_data(1).items.values()}


def _paid_local(inv: Invoice, part: str) -> int | None:
    return getattr(inv.paid_at.astimezone(LONDON), part) if inv.paid_at else None


# column -> (how the test reads a row's value, how it computes the value from an invoice)
GROUPINGS: dict[str, tuple[Callable[[dict], Any], Callable[[Invoice], Any]]] = {
    "status": (lambda row: row["status"], lambda inv: inv.status),
    "purchase_type": (lambda row: row["purchase_type"], lambda inv: inv.purchase_type),
    "payment_processor": (
        lambda row: row["payment_processor"],
        lambda inv: PROCESSORS.get(inv.payment_processor_id),
    ),
    "due_date_month": (
        lambda row: row["due_date_month"],
        lambda inv: f"{inv.due_date.month:02d}",
    ),
    "due_date_year": (lambda row: row["due_date_year"], lambda inv: str(inv.due_date.year)),
    "payment_month": (lambda row: row["payment_month"], lambda inv: _paid_local(inv, "month")),
    "payment_year": (lambda row: row["payment_year"], lambda inv: _paid_local(inv, "year")),
    "payout_month": (
        lambda row: row["payout_month"],
        lambda inv: f"{inv.payout_date.month:02d}" if inv.payout_date else None,
    ),
    "payout_year": (
        lambda row: row["payout_year"],
        lambda inv: str(inv.payout_date.year) if inv.payout_date else None,
    ),
    "customer.id": (lambda row: row["customer"]["id"], lambda inv: inv.customer_id),
    "customer": (lambda row: row["customer"]["id"], lambda inv: inv.customer_id),
    "purchased_item": (lambda row: row["purchased_item"]["id"], lambda inv: inv.item_id),
    "purchase_fee_type": (
        lambda row: row["purchase_fee_type"],
        lambda inv: inv.purchase_fee_type,
    ),
}


def test_counts_by_status_are_strings_that_add_up(api: Api, reader: Sandbox) -> None:
    body = api.data(GROUPED, {"columns": "status,count", "limit": 100})
    invoices = snapshot(reader)
    assert all(isinstance(row["count"], str) for row in body["rows"])
    assert sum(int(row["count"]) for row in body["rows"]) == len(invoices)
    assert {row["status"]: int(row["count"]) for row in body["rows"]} == Counter(
        inv.status for inv in invoices
    )
    assert body["total"] == len(body["rows"])


@pytest.mark.parametrize("column", list(GROUPINGS))
def test_group_counts_match_an_independent_count(api: Api, reader: Sandbox, column: str) -> None:
    read, compute = GROUPINGS[column]
    rows = api.all_rows(GROUPED, {"columns": [column, "count"], "sort": column})
    got = Counter()
    for row in rows:
        key = read(row)
        assert key not in got, f"group {key!r} came twice"
        got[key] = int(row["count"])
    assert got == Counter(compute(inv) for inv in snapshot(reader))


def test_grouping_by_several_columns(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(GROUPED, {"columns": "status,purchase_type,payment_processor,count"})
    got = {
        (row["status"], row["purchase_type"], row["payment_processor"]): int(row["count"])
        for row in rows
    }
    assert len(got) == len(rows)
    assert got == Counter(
        (inv.status, inv.purchase_type, PROCESSORS.get(inv.payment_processor_id))
        for inv in snapshot(reader)
    )


def test_count_alone_is_one_group_of_everything(api: Api, reader: Sandbox) -> None:
    body = api.data(GROUPED, {"columns": "count"})
    assert body["total"] == 1
    assert body["rows"] == [{"count": str(len(snapshot(reader)))}]


def test_groups_without_a_count_column_have_no_count(api: Api, reader: Sandbox) -> None:
    body = api.data(GROUPED, {"columns": "status", "limit": 100})
    assert sorted(row["status"] for row in body["rows"]) == sorted(
        {inv.status for inv in snapshot(reader)}
    )
    assert all(set(row) == {"status"} for row in body["rows"])


def test_columns_are_required(api: Api) -> None:
    error = api.error(GROUPED, {"limit": 10})
    assert "columns" in error["field_errors"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param([("columns", "status"), ("columns", "count")], id="repeated"),
        pytest.param([("columns", "status,count")], id="comma-separated"),
        pytest.param([("columns", "status, count")], id="comma-and-space"),
        pytest.param([("columns", "status"), ("columns", "count,status")], id="mixed"),
    ],
)
def test_columns_repeated_or_comma_separated(api: Api, params: list) -> None:
    expected = api.data(GROUPED, [("columns", "status"), ("columns", "count")])
    assert api.data(GROUPED, params) == expected
    assert [h["key"] for h in expected["column_headers"]] == ["status", "count"]


@pytest.mark.parametrize(
    "columns",
    [
        pytest.param("nope", id="unknown"),
        pytest.param("status,nope", id="one-unknown-among-known"),
        pytest.param("total_amount", id="invoice-report-column"),
        pytest.param("Status", id="wrong-case"),
        pytest.param("customer.venue.id", id="invoice-report-nested"),
        pytest.param("status,", id="blank-item"),
    ],
)
def test_unknown_column_is_a_400_naming_columns(api: Api, columns: str) -> None:
    error = api.error(GROUPED, {"columns": columns})
    assert error["code"] == "invalid"
    assert list(error["field_errors"]) == ["columns"]


@pytest.mark.parametrize(
    ("alias", "dotted"),
    [
        ("customer_id", "customer.id"),
        ("customer_name", "customer.name"),
        ("customer_email", "customer.email"),
    ],
)
def test_underscore_aliases_equal_dot_notation(api: Api, alias: str, dotted: str) -> None:
    params = {"sort": "-count", "limit": 100}
    by_alias = api.data(GROUPED, {**params, "columns": f"{alias},count"})
    by_dots = api.data(GROUPED, {**params, "columns": f"{dotted},count"})
    assert by_alias == by_dots
    assert by_dots["column_headers"][0]["key"] == dotted
    field = dotted.split(".")[1]
    assert all(set(row) == {"customer", "count"} for row in by_dots["rows"])
    assert all(set(row["customer"]) == {field} for row in by_dots["rows"])


def test_customer_is_a_nested_object(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(GROUPED, {"columns": "customer,count"})
    customers = {c.id: c for c in reader.customers()}
    assert len(rows) == len({inv.customer_id for inv in snapshot(reader)})
    for row in rows:
        customer = customers[row["customer"]["id"]]
        assert row["customer"] == {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
        }


def test_customer_parts_merge_into_one_object(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(GROUPED, {"columns": "customer.name,customer_id,count"})
    names = {c.id: c.name for c in reader.customers()}
    assert rows
    for row in rows:
        assert set(row) == {"customer", "count"}
        assert row["customer"]["name"] == names[row["customer"]["id"]]


def test_purchased_item_is_a_nested_object(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(GROUPED, {"columns": "purchased_item,count"})
    names = _item_names(reader)
    assert {row["purchased_item"]["id"] for row in rows} == {
        inv.item_id for inv in snapshot(reader)
    }
    for row in rows:
        item = row["purchased_item"]
        assert item == {"id": item["id"], "name": names[item["id"]]}


def test_value_types_and_nulls(api: Api) -> None:
    columns = (
        "status,payment_processor,due_date_month,due_date_year,payment_month,payment_year,"
        "payout_month,payout_year,count"
    )
    rows = api.all_rows(GROUPED, {"columns": columns})
    assert rows
    paid_seen = unpaid_seen = False
    for row in rows:
        assert isinstance(row["due_date_month"], str) and len(row["due_date_month"]) == 2
        assert 1 <= int(row["due_date_month"]) <= 12
        assert isinstance(row["due_date_year"], str) and len(row["due_date_year"]) == 4
        if row["status"] != "paid":
            unpaid_seen = True
            # unpaid invoices have no payment processor and no payment or payout month
            assert row["payment_processor"] is None
            for key in ("payment_month", "payment_year", "payout_month", "payout_year"):
                assert row[key] is None, row
            continue
        paid_seen = True
        assert row["payment_processor"] in PROCESSORS.values()
        assert isinstance(row["payment_month"], int) and 1 <= row["payment_month"] <= 12
        assert isinstance(row["payment_year"], int)
        if row["payment_processor"] in ("Cash", "Bank transfer"):
            # no payout to the studio's bank for money taken in person or by transfer
            assert row["payout_month"] is None and row["payout_year"] is None
        else:
            assert isinstance(row["payout_month"], str) and len(row["payout_month"]) == 2
            assert isinstance(row["payout_year"], str) and len(row["payout_year"]) == 4
    assert paid_seen and unpaid_seen


def test_column_headers_describe_the_requested_columns(api: Api) -> None:
    body = api.data(GROUPED, {"columns": "customer_id,status,customer,count"})
    headers = body["column_headers"]
    assert [h["key"] for h in headers] == ["customer.id", "status", "customer", "count"]
    for header in headers:
        assert {"label", "key", "sortable", "holds_customer_id", "required"} <= set(header)
        assert isinstance(header["label"], str) and header["label"]
        assert "sorted" not in header
    holds = {h["key"]: h["holds_customer_id"] for h in headers}
    assert holds == {"customer.id": True, "status": False, "customer": True, "count": False}


def test_rows_have_exactly_the_requested_columns(api: Api) -> None:
    body = api.data(GROUPED, {"columns": "purchase_type,due_date_year", "limit": 100})
    assert body["rows"]
    assert all(set(row) == {"purchase_type", "due_date_year"} for row in body["rows"])


@pytest.mark.parametrize("field", ["name", "email"])
def test_grouping_by_customer_name_or_email(api: Api, reader: Sandbox, field: str) -> None:
    rows = api.all_rows(GROUPED, {"columns": f"customer_{field},count"})
    values = {c.id: getattr(c, field) for c in reader.customers()}
    expected = Counter(values[inv.customer_id] for inv in snapshot(reader))
    assert {row["customer"][field]: int(row["count"]) for row in rows} == expected
    assert len(rows) == len(expected)
    if field == "email":
        assert None in expected  # the customer without an email is a group of its own
