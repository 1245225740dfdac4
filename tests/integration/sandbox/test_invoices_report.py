"""GET /reports/invoices/data: documented fields, exact money, timestamps with offsets."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from sandbox import Sandbox
from sandbox.model import Invoice

from .helpers import INVOICES, LONDON, PROCESSORS, Api, money_string, snapshot, total_of

DOCUMENTED_FIELDS = {
    "id",
    "due_date",
    "confirmed_at",
    "paid_at",
    "status",
    "is_credit_note",
    "refunded_invoice",
    "number",
    "customer",
    "total_amount",
    "subtotal_amount",
    "discount_amount",
    "tax_amount",
    "credit_amount",
    "adjustment_amount",
    "expected_payment_amount",
    "refund_amount",
    "refund_date",
    "discount_code",
    "payment_processor",
    "purchase_type",
    "purchase_items",
    "payout",
    "applied_credits",
    "charges",
    "updated_at",
    "legacy_mapping",
}
MONEY_KEYS = {
    "decimal",
    "string",
    "iso_currency_code",
    "currency_symbol",
    "currency_symbol_position",
}
# money field -> the amount the snapshot holds for it
AMOUNTS = {
    "total_amount": total_of,
    "subtotal_amount": lambda inv: inv.subtotal,
    "discount_amount": lambda inv: inv.discount,
    "tax_amount": lambda inv: inv.tax,
    "credit_amount": lambda inv: inv.credit,
    "adjustment_amount": lambda inv: inv.adjustment,
    "expected_payment_amount": total_of,
    "refund_amount": lambda inv: inv.refund_amount,
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def everything(_shared_sandbox: Sandbox) -> tuple[list[dict], dict[int, Invoice]]:
    """Every row of the shared sandbox's report with all columns, and the snapshot by id."""
    rows = Api(_shared_sandbox).all_rows(INVOICES, {"sort": "id"})
    return rows, {inv.id: inv for inv in _shared_sandbox.invoices()}


def test_rows_carry_every_documented_field(everything) -> None:
    rows, snapshot = everything
    assert len(rows) == len(snapshot)
    assert sorted(row["id"] for row in rows) == sorted(snapshot)
    for row in rows:
        assert set(row) == DOCUMENTED_FIELDS
        assert set(row["customer"]) == {"id", "name", "email", "venue"}
        assert set(row["customer"]["venue"]) == {"id", "name"}


def test_column_headers_without_columns_list_every_column(api: Api) -> None:
    headers = api.data(INVOICES, {"limit": 1})["column_headers"]
    keys = [h["key"] for h in headers]
    assert keys[0] == "id"
    assert {key.split(".")[0] for key in keys} == DOCUMENTED_FIELDS
    assert [h["key"] for h in headers if h["required"]] == ["id"]
    # nested keys in dot-notation, never the underscore aliases
    assert "customer.venue.name" in keys
    assert not {"customer_id", "customer_venue_id", "refunded_invoice_id"} & set(keys)


def test_scalar_fields_match_the_snapshot(everything, reader: Sandbox) -> None:
    rows, snapshot = everything
    customers = {c.id: c for c in reader.customers()}
    items = {i.id: i.name for i in reader.store.provider_data(1).items.values()}
    for row in rows:
        inv = snapshot[row["id"]]
        customer = customers[inv.customer_id]
        assert row["status"] == inv.status
        assert row["number"] == inv.number
        assert row["due_date"] == inv.due_date.isoformat()
        assert row["is_credit_note"] is inv.is_credit_note
        assert row["purchase_type"] == inv.purchase_type
        assert row["purchase_items"] == items[inv.item_id]
        assert row["payment_processor"] == PROCESSORS.get(inv.payment_processor_id)
        assert row["customer"]["id"] == customer.id
        assert row["customer"]["name"] == customer.name
        assert row["customer"]["email"] == customer.email
        assert row["refund_date"] == (inv.refund_date.isoformat() if inv.refund_date else None)
        assert (row["payout"] is None) == (inv.payout_date is None)


def test_money_objects_are_exact_to_the_cent(everything) -> None:
    rows, snapshot = everything
    for row in rows:
        inv = snapshot[row["id"]]
        for field, amount_of in AMOUNTS.items():
            money = row[field]
            assert set(money) == MONEY_KEYS
            assert not isinstance(money["decimal"], str | float), "decimal is a JSON number"
            assert Decimal(money["decimal"]) == amount_of(inv), (field, inv.id)
            assert money["string"] == money_string(amount_of(inv))
            assert money["iso_currency_code"] == "gbp"
            assert money["currency_symbol"] == "£"
            assert money["currency_symbol_position"] == "before"


def test_totals_add_up_to_the_cent(everything) -> None:
    rows, snapshot = everything
    got = sum((Decimal(row["total_amount"]["decimal"]) for row in rows), Decimal(0))
    expected = sum((total_of(inv) for inv in snapshot.values()), Decimal(0))
    assert got == expected
    assert got.as_tuple().exponent >= -2
    refunds = sum((Decimal(row["refund_amount"]["decimal"]) for row in rows), Decimal(0))
    assert refunds == sum((inv.refund_amount for inv in snapshot.values()), Decimal(0)) > 0


def test_decimals_are_written_as_json_numbers(api: Api) -> None:
    response = api.get(INVOICES, {"format": "json", "limit": 5, "columns": "total_amount"})
    assert re.search(r'"total_amount":\{"decimal":-?[0-9]', response.text)
    assert '"decimal":"' not in response.text


def test_timestamps_carry_offsets_and_denote_the_right_instant(everything) -> None:
    rows, snapshot = everything
    offsets = set()
    for row in rows:
        inv = snapshot[row["id"]]
        for field in ("confirmed_at", "paid_at", "updated_at"):
            value, expected = row[field], getattr(inv, field)
            if expected is None:
                assert value is None
                continue
            assert TIMESTAMP.match(value), value
            parsed = datetime.fromisoformat(value)
            assert parsed == expected, (field, inv.id)
            # written in the studio's zone: its offset on that day
            assert parsed.utcoffset() == expected.astimezone(LONDON).utcoffset()
            offsets.add(value[23:])
    assert offsets == {"Z", "+01:00"}  # London in winter and in summer


def test_credit_notes_point_at_the_refunded_invoice(everything) -> None:
    rows, snapshot = everything
    notes = [row for row in rows if row["is_credit_note"]]
    assert notes
    for row in notes:
        original = snapshot[row["refunded_invoice"]["id"]]
        assert original.refund_amount > 0
        assert Decimal(row["total_amount"]["decimal"]) < 0
        assert row["refunded_invoice"]["id"] == snapshot[row["id"]].refunded_invoice_id
    for row in rows:
        if not row["is_credit_note"]:
            assert row["refunded_invoice"] == {"id": None}


def test_charges_and_applied_credits(everything) -> None:
    rows, snapshot = everything
    credited = 0
    for row in rows:
        inv = snapshot[row["id"]]
        if inv.paid_at is None:
            assert row["charges"] == []
        else:
            [charge] = row["charges"]
            assert Decimal(charge["amount"]["decimal"]) == total_of(inv)
            assert charge["amount"]["currency"] == "gbp"
            assert datetime.fromisoformat(charge["created_at"]) == inv.paid_at
        if inv.credit:
            credited += 1
            assert [Decimal(c["amount"]["decimal"]) for c in row["applied_credits"]] == [inv.credit]
        else:
            assert row["applied_credits"] == []
    assert credited


def test_discount_code_object(everything) -> None:
    rows, snapshot = everything
    discounted = [row for row in rows if snapshot[row["id"]].discount_code]
    assert discounted
    for row in rows:
        code = snapshot[row["id"]].discount_code
        if code:
            assert row["discount_code"] == {"name": code[0], "code": code[1]}
        else:
            # all columns include discount_code.name and .code: their object stays whole
            assert row["discount_code"] == {"name": None, "code": None}


def test_requested_columns_only_plus_the_required_id(api: Api) -> None:
    body = api.data(INVOICES, {"columns": "status,total_amount", "limit": 10})
    assert [h["key"] for h in body["column_headers"]] == ["id", "status", "total_amount"]
    assert all(set(row) == {"id", "status", "total_amount"} for row in body["rows"])


@pytest.mark.parametrize(
    ("alias", "dotted", "read"),
    [
        ("customer_id", "customer.id", lambda row: row["customer"]["id"]),
        ("customer_name", "customer.name", lambda row: row["customer"]["name"]),
        ("customer_email", "customer.email", lambda row: row["customer"]["email"]),
        ("customer_venue_id", "customer.venue.id", lambda row: row["customer"]["venue"]["id"]),
        (
            "customer_venue_name",
            "customer.venue.name",
            lambda row: row["customer"]["venue"]["name"],
        ),
        ("refunded_invoice_id", "refunded_invoice.id", lambda row: row["refunded_invoice"]["id"]),
        ("discount_code_name", "discount_code.name", lambda row: row["discount_code"]["name"]),
    ],
)
def test_aliases_equal_dot_notation(api: Api, alias: str, dotted: str, read) -> None:
    by_alias = api.data(INVOICES, {"columns": alias, "limit": 100})
    by_dots = api.data(INVOICES, {"columns": dotted, "limit": 100})
    assert by_alias == by_dots
    assert [h["key"] for h in by_dots["column_headers"]] == ["id", dotted]
    for row in by_dots["rows"]:
        read(row)  # the value sits at its nested place


@pytest.mark.parametrize("column", ["count", "nope", "purchased_item", "customer.venue.city"])
def test_unknown_column_is_a_400_naming_columns(api: Api, column: str) -> None:
    error = api.error(INVOICES, {"columns": column})
    assert list(error["field_errors"]) == ["columns"]


def test_filters_paging_and_formats_apply_here_too(api: Api, reader: Sandbox) -> None:
    expected = sorted(
        inv.id
        for inv in snapshot(reader)
        if inv.status == "paid"
        and inv.purchase_type == "store"
        and inv.due_date >= date(2025, 1, 1)
    )
    params = {
        "status": "paid",
        "purchase_types": "store",
        "due_date_gte": "2025-01-01",
        "columns": "id",
        "sort": "-id",
    }
    rows = api.all_rows(INVOICES, params, page_size=7)
    assert [row["id"] for row in rows] == expected[::-1]
    csv_text = api.get(INVOICES, {**params, "limit": 100}).text
    assert csv_text.split("\r\n")[1:-1] == [str(i) for i in expected[::-1][:100]]


@pytest.mark.parametrize(
    "columns",
    [
        "discount_code,discount_code.name,discount_code.code",
        "discount_code.name,discount_code,discount_code.code",
        "discount_code.code,discount_code.name,discount_code",
    ],
    ids=["object-first", "object-between", "object-last"],
)
def test_an_object_and_its_parts_merge_in_any_order(api: Api, reader: Sandbox, columns) -> None:
    rows = api.all_rows(INVOICES, {"columns": columns, "sort": "id"})
    codes = {inv.id: inv.discount_code for inv in snapshot(reader)}
    for row in rows:
        code = codes[row["id"]]
        expected = {"name": code[0], "code": code[1]} if code else {"name": None, "code": None}
        assert row["discount_code"] == expected


def test_an_object_alone_is_null_when_absent(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(INVOICES, {"columns": "discount_code,refunded_invoice", "sort": "id"})
    by_id = {inv.id: inv for inv in snapshot(reader)}
    for row in rows:
        inv = by_id[row["id"]]
        code = inv.discount_code
        assert row["discount_code"] == ({"name": code[0], "code": code[1]} if code else None)
        refunded = inv.refunded_invoice_id
        assert row["refunded_invoice"] == ({"id": refunded} if refunded else None)
