"""Each table's records from a run's batches: tombstones first, customers once, headers once."""

from __future__ import annotations

from datetime import date, timedelta

from sources.teamup.options import RunSettings
from sources.teamup.records.batches import GroupedBatch, InvoiceBatch
from sources.teamup.records.tables import TableRecords

NOVEMBER = date(2026, 11, 1)
SETTINGS = RunSettings(("status", "customer"), None, timedelta(0), timedelta(0))
HEADERS = [{"key": "status", "label": "Status", "sortable": True, "required": False}]


def row(customer: int, status: str, count: int, name: str = "Zoë", email: str = "z@x.org"):
    return {
        "due_date_year": "2026",
        "due_date_month": "11",
        "status": status,
        "customer": {"id": customer, "name": name, "email": email},
        "count": str(count),
    }


def batch(*rows, replaced=None, headers=HEADERS) -> GroupedBatch:
    return GroupedBatch(7, list(rows), replaced or {}, headers)


def test_a_partition_is_deleted_before_its_groups_are_written():
    records = TableRecords(SETTINGS).invoices_grouped(
        batch(row(5, "paid", 2), row(5, "open", 1), replaced={"7/2026-11/5": NOVEMBER})
    )
    assert [(r.get("is_deleted"), r.get("status"), r["invoice_count"]) for r in records] == [
        (True, None, 0),
        (None, "paid", 2),
        (None, "open", 1),
    ]
    assert {r["partition_key"] for r in records} == {"7/2026-11/5"}


def test_a_customer_is_written_once_a_run_and_again_when_renamed():
    tables = TableRecords(SETTINGS)
    first = tables.customers(batch(row(5, "paid", 2), row(5, "open", 1), row(6, "paid", 1)))
    again = tables.customers(batch(row(5, "failed", 1)))
    renamed = tables.customers(batch(row(5, "paid", 2, name="Zoe")))
    assert [(r["id"], r["name"]) for r in first] == [(5, "Zoë"), (6, "Zoë")]
    assert again == []
    assert renamed == [{"provider_id": 7, "id": 5, "name": "Zoe", "email": "z@x.org"}]


def test_the_same_column_headers_are_written_once():
    tables = TableRecords(SETTINGS)
    assert [r["key"] for r in tables.report_columns(batch(row(5, "paid", 1)))] == ["status"]
    assert tables.report_columns(batch(row(6, "paid", 1))) == []
    changed = [*HEADERS, {"key": "count", "label": "Count"}]
    assert [r["key"] for r in tables.report_columns(batch(headers=changed))] == ["status", "count"]


def test_each_table_takes_only_its_own_batches():
    tables = TableRecords(SETTINGS)
    invoices = InvoiceBatch(7, [], deleted_ids=[11, 12])
    assert tables.invoices_grouped(invoices) == tables.customers(invoices) == []
    assert tables.report_columns(invoices) == []
    assert tables.invoices(batch(row(5, "paid", 1))) == []
    assert tables.invoices(invoices) == [
        {"provider_id": 7, "id": 11, "is_deleted": True},
        {"provider_id": 7, "id": 12, "is_deleted": True},
    ]
