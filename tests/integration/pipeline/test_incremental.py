"""After each kind of change, one load leaves the warehouse equal to a fresh full load."""

from __future__ import annotations

from datetime import date, timedelta

import pytest


def _first(sandbox, **wanted):
    return next(
        i
        for i in sorted(sandbox.invoices(), key=lambda i: i.id)
        if all(getattr(i, k) == v for k, v in wanted.items())
    )


def pay_an_open_invoice(sandbox):
    sandbox.pay(_first(sandbox, status="open").id, processor_id=2)


def fail_a_paid_invoice(sandbox):
    sandbox.set_status(_first(sandbox, status="paid").id, "failed")


def add_an_invoice(sandbox):
    customer = sandbox.customers()[3]
    item_id = 1001
    sandbox.add_invoice(customer.id, item_id, date(2025, 3, 14), status="paid")


def delete_an_old_invoice(sandbox):
    old = [i for i in sandbox.invoices() if i.due_date < date(2025, 1, 1)]
    sandbox.delete_invoice(old[len(old) // 2].id)


def move_a_due_date_to_another_month(sandbox):
    invoice = _first(sandbox, status="paid")
    sandbox.move_due_date(invoice.id, invoice.due_date - timedelta(days=95))


def empty_a_month(sandbox):
    first = min(i.due_date for i in sandbox.invoices()).replace(day=1)
    for invoice in sandbox.invoices():
        if invoice.due_date.replace(day=1) == first:
            sandbox.delete_invoice(invoice.id)


def empty_a_customer_partition(sandbox):
    invoice = _first(sandbox, purchase_type="store")
    same = [
        i
        for i in sandbox.invoices()
        if i.customer_id == invoice.customer_id
        and i.due_date.replace(day=1) == invoice.due_date.replace(day=1)
    ]
    for other in same:
        sandbox.delete_invoice(other.id)


def rename_a_customer(sandbox):
    sandbox.rename_customer(sandbox.customers()[10].id, 'Renée O\'Connor, "Ren"')


def refund_an_invoice(sandbox):
    sandbox.refund(_first(sandbox, status="paid", is_credit_note=False).id)


CHANGES = [
    pay_an_open_invoice,
    fail_a_paid_invoice,
    add_an_invoice,
    delete_an_old_invoice,
    move_a_due_date_to_another_month,
    empty_a_month,
    empty_a_customer_partition,
    rename_a_customer,
    refund_an_invoice,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_one_load_after_a_change_equals_a_fresh_load(harness, change):
    harness.load()
    before = harness.tables()
    harness.later()
    change(harness.sandbox)
    harness.later()
    harness.load()
    after = harness.tables()
    assert after != before, "the change should show in the warehouse"
    harness.assert_exact()


def test_many_changes_between_two_loads(harness):
    harness.load()
    harness.later()
    for change in CHANGES:
        change(harness.sandbox)
        harness.later(minutes=1)
    harness.later()
    harness.load()
    harness.assert_exact()


def test_an_invoice_changed_twice_is_counted_once(harness):
    """Open in Monday's window, paid in Tuesday's: appending counts would double it."""
    harness.load()
    invoice = _first(harness.sandbox, status="paid")
    harness.later()
    harness.sandbox.set_status(invoice.id, "open")
    harness.later()
    harness.load()
    harness.sandbox.pay(invoice.id)
    harness.later(minutes=60 * 24)
    harness.load()
    harness.assert_exact()
    month = invoice.due_date.replace(day=1)
    total = harness.query(
        "select sum(invoice_count) from teamup.invoices_grouped where due_month = ?", month
    )[0][0]
    assert total == sum(1 for i in harness.sandbox.invoices() if i.due_date.replace(day=1) == month)


def test_a_rerun_without_changes_changes_nothing_and_only_asks_what_changed(harness):
    harness.load()
    harness.later(minutes=60)
    harness.load()
    before = harness.query("select * from teamup.invoices_grouped order by group_key")
    harness.later(minutes=60)
    harness.sandbox.log.clear()
    summary = harness.load()
    assert harness.query("select * from teamup.invoices_grouped order by group_key") == before
    data_requests = [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if "purchase_type" in e.info.params["columns"][0].split(",") + e.info.params["columns"]
    ]
    assert data_requests == []
    # the checksum (invoices per month and status) and the discovery over the window
    assert summary.requests == harness.sandbox.log.count() <= 4
    assert summary.months_refreshed == summary.partitions_refreshed == 0


def test_the_watermark_moves_to_the_window_end(harness):
    harness.load()
    first = harness.watermarks()
    harness.later(minutes=30)
    harness.load()
    second = harness.watermarks()
    assert list(first) == ["0"]
    assert second["0"] > first["0"]


def test_a_deleted_unpaid_invoice_costs_its_partition_not_its_month(make_harness):
    harness = make_harness(invoices=8000)  # months of several pages: whole ones cost more
    harness.settled()
    victim = _first(harness.sandbox, status="upcoming")
    harness.sandbox.delete_invoice(victim.id)
    harness.later()
    summary = harness.load()
    assert summary.months_refreshed == 0
    assert summary.partitions_refreshed >= 1
    harness.assert_exact()


def test_partitions_are_asked_for_with_the_customers_filter_as_an_integer_array(make_harness):
    """`customers` is documented as integer[]: sent as repeated keys (OpenAPI's default for
    an array in a query), like `columns`, never as one comma-joined value."""
    harness = make_harness(invoices=8000)  # months of several pages: partitions are fetched
    harness.settled()
    upcoming = [i for i in harness.sandbox.invoices() if i.status == "upcoming"]
    first = upcoming[0]
    other = next(i for i in upcoming if i.customer_id != first.customer_id)
    for invoice in (first, other):
        harness.sandbox.pay(invoice.id)
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    asked = [
        e.info.params["customers"]
        for e in harness.sandbox.log.requests()
        if "customers" in e.info.params
    ]
    assert asked, "no partition was fetched by customer"
    assert all(value.isdigit() for values in asked for value in values)
    assert max(len(values) for values in asked) >= 2  # several customers in one request
