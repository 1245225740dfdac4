"""`format`: JSON on request, CSV by default, with dot-notation headers and exact values."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import requests

from sandbox import Sandbox

from .helpers import GROUPED, INVOICES, Api, loads, snapshot, total_of


def _csv(response: requests.Response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline=""))
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_csv_is_the_default(api: Api, path: str) -> None:
    response = api.get(path, {"columns": "status", "limit": 3})
    header, rows = _csv(response)
    assert header[-1] == "status"
    assert len(rows) == 3
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_json_on_request(api: Api, path: str) -> None:
    response = api.get(path, {"columns": "status", "limit": 3, "format": "json"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(loads(response.text)) == {"total", "column_headers", "rows"}


@pytest.mark.parametrize("value", ["xml", "JSON", "Csv", "", "json,csv"])
@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_bad_format_is_a_400(api: Api, path: str, value: str) -> None:
    response = api.get(path, {"columns": "status", "format": value})
    assert response.status_code == 400
    assert list(loads(response.text)["field_errors"]) == ["format"]


def test_format_twice_is_a_400(api: Api) -> None:
    response = api.get(GROUPED, [("columns", "status"), ("format", "json"), ("format", "csv")])
    assert response.status_code == 400
    assert list(loads(response.text)["field_errors"]) == ["format"]


def test_grouped_csv_header_is_dot_notation(api: Api) -> None:
    header, rows = _csv(
        api.get(GROUPED, {"columns": "status,customer_id,purchased_item,count", "limit": 5})
    )
    assert header == ["status", "customer.id", "purchased_item.id", "purchased_item.name", "count"]
    assert all(row["count"].isdigit() for row in rows)


def test_csv_equals_json_row_for_row(api: Api) -> None:
    params = {"columns": "status,customer,payment_processor,payment_month,count", "sort": "-count"}
    body = api.data(GROUPED, {**params, "limit": 100})
    header, rows = _csv(api.get(GROUPED, {**params, "limit": 100}))
    assert header == [
        "status",
        "customer.id",
        "customer.name",
        "customer.email",
        "payment_processor",
        "payment_month",
        "count",
    ]
    assert len(rows) == len(body["rows"]) > 0

    def text(value) -> str:
        return "" if value is None else str(value)

    for line, row in zip(rows, body["rows"], strict=True):
        assert line == {
            "status": row["status"],
            "customer.id": str(row["customer"]["id"]),
            "customer.name": row["customer"]["name"],
            "customer.email": text(row["customer"]["email"]),
            "payment_processor": text(row["payment_processor"]),
            "payment_month": text(row["payment_month"]),
            "count": row["count"],
        }


def test_awkward_names_round_trip_through_csv(api: Api, reader: Sandbox) -> None:
    header, rows = _csv(api.get(GROUPED, {"columns": "customer,count", "limit": 100}))
    assert header == ["customer.id", "customer.name", "customer.email", "count"]
    customers = {c.id: c for c in reader.customers()}
    names = set()
    for row in rows:
        customer = customers[int(row["customer.id"])]
        assert row["customer.name"] == customer.name
        assert row["customer.email"] == (customer.email or "")
        names.add(row["customer.name"])
    for awkward in ("Smith, John", 'Robert "Bobby" Tables', "Siobhán O'Brien", "李雷", "Zoë Faure"):
        assert awkward in names


def test_csv_header_is_the_same_on_every_page(api: Api) -> None:
    """Objects that are null on some rows (discount_code) still spread into fixed columns."""
    params = {"columns": "discount_code,refunded_invoice,customer.venue", "sort": "id"}
    headers = set()
    for page in (1, 2, 10, 10_000):
        header, _ = _csv(api.get(INVOICES, {**params, "page": page, "page_size": 100}))
        headers.add(tuple(header))
    assert headers == {
        (
            "id",
            "discount_code.name",
            "discount_code.code",
            "refunded_invoice.id",
            "customer.venue.id",
            "customer.venue.name",
        )
    }
    empty_grouped, rows = _csv(api.get(GROUPED, {"columns": "customer,count", "offset": 10**6}))
    assert rows == []
    assert empty_grouped == ["customer.id", "customer.name", "customer.email", "count"]


def test_invoice_csv_values(api: Api, reader: Sandbox) -> None:
    header, rows = _csv(api.get(INVOICES, {"sort": "id", "limit": 100, "status": "paid"}))
    assert "customer.venue.name" in header
    assert "total_amount.decimal" in header and "total_amount.string" in header
    assert "customer" not in header and "total_amount" not in header
    by_id = {inv.id: inv for inv in snapshot(reader)}
    for row in rows:
        inv = by_id[int(row["id"])]
        assert Decimal(row["total_amount.decimal"]) == total_of(inv)
        assert row["total_amount.iso_currency_code"] == "gbp"
        assert row["paid_at"] and row["payment_processor"]
        assert row["refund_date"] == (inv.refund_date.isoformat() if inv.refund_date else "")
        assert row["legacy_mapping"] == "{}"
        assert row["applied_credits"].startswith("[")


def test_csv_and_json_page_the_same_way(api: Api) -> None:
    params = {"columns": "id", "sort": "-id", "limit": 20, "offset": 40}
    body = api.data(INVOICES, params)
    _, rows = _csv(api.get(INVOICES, params))
    assert [int(row["id"]) for row in rows] == [row["id"] for row in body["rows"]]
