"""Rows off the documented path: a row without a customer, values the docs do not list."""

from __future__ import annotations

from collections import Counter

import pytest

from sources.teamup.exceptions import MalformedResponseError
from sources.teamup.records.grouped import grouped_record, row_customer
from sources.teamup.records.unforeseen import describe, in_headers, in_invoices


def grouped_row(customer: object) -> dict:
    return {"due_date_year": "2026", "due_date_month": "10", "customer": customer, "count": "2"}


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ({"id": 7, "name": "Zoë"}, 7),
        ({"id": "7"}, 7),
        (None, None),
        ({"id": None}, None),
        ({}, None),
    ],
    ids=["object", "id-as-text", "null", "null-id", "no-id"],
)
def test_a_rows_customer_or_none(customer, expected):
    assert row_customer(grouped_row(customer)) == expected


@pytest.mark.parametrize("customer", ["Zoë", 7, ["x"]], ids=["text", "number", "list"])
def test_a_customer_that_is_no_object_is_a_broken_page(customer):
    with pytest.raises(MalformedResponseError, match="`customer` is not an object"):
        row_customer(grouped_row(customer))


def test_a_customer_with_a_name_but_no_id_is_a_broken_page_named_by_keys_only():
    with pytest.raises(MalformedResponseError, match=r"has no id \(\['email', 'name'\]\)") as e:
        row_customer(grouped_row({"name": "Zoë", "email": "z@x.org"}))
    assert "Zoë" not in str(e.value) and "z@x.org" not in str(e.value)


def test_a_row_without_a_customer_is_in_its_months_customerless_partition():
    record = grouped_record(grouped_row(None), ("customer",), 3, by_customer=True)
    assert record["customer_id"] is None
    assert record["partition_key"] == "3/2026-10/*"
    assert record["invoice_count"] == 2


def invoice(status: str = "paid", kind: str = "membership", customer: int | None = 1) -> dict:
    return {"status": status, "purchase_type": kind, "customer_id": customer}


def test_invoices_off_the_documented_lists_are_counted_by_what_is_new():
    records = [
        invoice(),
        invoice("written_off"),
        invoice("written_off", "appointment"),
        invoice(customer=None),
        invoice(None, None, None),
    ]
    assert in_invoices(records) == Counter(
        {
            ("status", "written_off"): 2,
            ("status", None): 1,
            ("purchase type", "appointment"): 1,
            ("purchase type", None): 1,
            ("customer", None): 2,
        }
    )


def test_every_documented_value_is_nothing_new():
    documented = ["open", "paid", "pending_offline", "pending_online", "failed", "voided"]
    documented += ["upcoming", "skipped", "retrying", "retry_failed"]
    kinds = ["class", "course", "course_session", "membership", "store"]
    records = [invoice(s, k) for s in documented for k in kinds]
    assert in_invoices(records) == Counter()


def test_a_column_the_docs_do_not_list_is_new():
    headers = [{"key": "status"}, {"key": "customer.id"}, {"key": "venue"}, {"label": "no key"}]
    assert in_headers(headers) == Counter({("column", "venue"): 0})
    assert ("column", "venue") in in_headers(headers)


def test_one_line_says_each_new_thing_once():
    found = Counter({("status", "written_off"): 3, ("customer", None): 6, ("column", "venue"): 0})
    found[("purchase type", "appointment")] += 1
    assert describe(found) == (
        "column 'venue' in the grouped report's column_headers, invoices without a customer (6),"
        " purchase type 'appointment' (1 invoice), status 'written_off' (3 invoices)"
    )
