"""An invoice re-dated into another month is upserted there, not deleted with its old partition."""

from __future__ import annotations

from datetime import timedelta


def test_an_invoice_moved_to_the_next_month_stays_loaded(make_harness):
    harness = make_harness(invoices=8000)
    harness.load()
    harness.later(minutes=60)
    harness.load()
    harness.later()
    # An unpaid invoice late in a busy month, moved two weeks on: its old partition lost it,
    # which only the checksum shows, and its new month has it in the updated_at window.
    moved = next(
        i
        for i in sorted(harness.sandbox.invoices(), key=lambda i: i.id)
        if i.status == "upcoming" and i.due_date.day >= 20
    )
    harness.sandbox.move_due_date(moved.id, moved.due_date + timedelta(days=14))
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    month_refetches = [
        e
        for e in harness.sandbox.log.requests("invoices")
        if "customers" not in e.info.params and "updated_at_gte" not in e.info.params
    ]
    assert month_refetches == []  # the old partition was found, not its month re-fetched
    loaded = harness.query("select due_date from teamup.invoices where id = ?", moved.id)
    assert loaded == [(moved.due_date + timedelta(days=14),)]
    harness.assert_exact()
