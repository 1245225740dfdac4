"""The first load equals the sandbox's data, with expectations computed here from a snapshot."""

from __future__ import annotations

from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

from sandbox.generate import AWKWARD_CUSTOMERS


def test_counts_by_due_month_and_status(harness):
    harness.load()
    expected = Counter(
        (date(i.due_date.year, i.due_date.month, 1), i.status) for i in harness.sandbox.invoices()
    )
    loaded = harness.query(
        "select due_month, status, sum(invoice_count) from teamup.invoices_grouped group by all"
    )
    assert Counter({(month, status): n for month, status, n in loaded}) == expected


def test_counts_by_payment_month_and_purchase_type(harness):
    harness.load()
    london = ZoneInfo("Europe/London")  # the sandbox studio's zone, where payment months fall
    expected = Counter()
    for invoice in harness.sandbox.invoices():
        if invoice.paid_at is not None:
            paid = invoice.paid_at.astimezone(london)
            expected[(paid.year, paid.month, invoice.purchase_type)] += 1
    loaded = harness.query(
        "select payment_year, payment_month, purchase_type, sum(invoice_count) "
        "from teamup.invoices_grouped where payment_year is not null group by all"
    )
    assert Counter({(y, m, kind): n for y, m, kind, n in loaded}) == expected


def test_customers_keep_their_awkward_names(harness):
    harness.load()
    invoiced = {i.customer_id for i in harness.sandbox.invoices()}
    expected = {(c.id, c.name, c.email) for c in harness.sandbox.customers() if c.id in invoiced}
    loaded = set(harness.query("select id, name, email from teamup.customers"))
    assert loaded == expected
    names = {name for _, name, _ in loaded}
    assert {name for name, _ in AWKWARD_CUSTOMERS} & invoiced_names(harness) <= names
    assert any(email is None for _, _, email in loaded) == any(
        c.email is None for c in harness.sandbox.customers() if c.id in invoiced
    )


def test_each_customer_is_written_once_a_run(harness):
    """A customer comes with every month it was invoiced in; the load writes it once."""
    summary = harness.load()
    invoiced = {i.customer_id for i in harness.sandbox.invoices()}
    assert summary.rows_loaded["customers"] == len(invoiced)


def invoiced_names(harness) -> set[str]:
    invoiced = {i.customer_id for i in harness.sandbox.invoices()}
    return {c.name for c in harness.sandbox.customers() if c.id in invoiced}


def test_column_types_are_exact(harness):
    harness.load()
    types = dict(
        harness.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'teamup' and table_name = 'invoices_grouped'"
        )
    )
    assert types["invoice_count"] == "BIGINT"
    assert types["due_month"] == "DATE"
    assert types["due_date_month"] == types["payment_month"] == types["payout_year"] == "BIGINT"
    assert types["customer_id"] == "BIGINT"
    assert "customer__name" not in types and "customer_name" not in types


def test_report_columns_describe_the_request(harness):
    harness.load()
    rows = {
        key: rest
        for key, *rest in harness.query(
            "select key, holds_customer_id, sortable, sort_order, sort_priority "
            "from teamup.report_columns"
        )
    }
    assert rows["customer"][0] is True
    assert rows["due_date_year"][2:] == ["asc", 0]
    assert "count" in rows and rows["count"][2] is None  # counted, not sorted on


def test_the_file_is_not_named_like_its_schema(harness):
    harness.load()
    assert harness.database.exists()
    assert harness.query("select count(*) from teamup.invoices_grouped")[0][0] > 0
