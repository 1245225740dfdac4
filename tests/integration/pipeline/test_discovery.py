"""A night's changed partitions come from the invoice-level window, not from pages of their own."""

from __future__ import annotations

from datetime import timedelta


def grouped_window_requests(harness) -> list:
    return [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if "updated_at_gte" in e.info.params
    ]


def test_a_night_of_changes_asks_no_grouped_window(harness):
    harness.settled()
    invoices = sorted(harness.sandbox.invoices(), key=lambda i: i.id)
    unpaid = [i for i in invoices if i.status in ("open", "upcoming")]
    harness.sandbox.pay(unpaid[0].id)
    harness.sandbox.move_due_date(unpaid[1].id, unpaid[1].due_date + timedelta(days=40))
    harness.sandbox.add_invoice(invoices[0].customer_id, 1001, unpaid[2].due_date, "upcoming")
    harness.sandbox.rename_customer(invoices[-1].customer_id, "Renamed Overnight")
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    assert grouped_window_requests(harness) == []
    assert harness.sandbox.log.count() > 0
    harness.assert_exact()


def test_an_invoice_without_a_customer_refreshes_its_month_whole(harness):
    """Such an invoice is in its month's customerless partition, which no `customers=` filter
    can ask for: its month is refreshed whole, with no discovery query over the window."""
    harness.settled()
    paid = next(i for i in harness.sandbox.invoices() if i.status == "open")
    harness.sandbox.pay(paid.id)
    harness.later()

    def no_customer(page: dict) -> dict:
        for row in page["rows"]:
            row["customer"] = None
        return page

    harness.sandbox.faults.tamper(
        no_customer,
        when=lambda r: r.endpoint == "invoices" and "updated_at_gte" in r.params,
        times=None,
    )
    harness.sandbox.log.clear()
    harness.load()
    assert grouped_window_requests(harness) == []
    month = paid.due_date.replace(day=1).isoformat()
    whole = [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if e.info.params.get("due_date_gte") == [month] and "customers" not in e.info.params
    ]
    assert whole  # the month asked for whole
    harness.sandbox.faults.reset()
    assert harness.tables()["invoices_grouped"] == harness.fresh_tables()["invoices_grouped"]
