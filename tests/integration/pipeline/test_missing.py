"""Lost invoices found by bisecting ids: the right partitions, in few requests, and when not."""

from __future__ import annotations

from collections import Counter
from datetime import date

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


def test_a_paid_invoice_deleted_from_a_busy_month_is_found_without_listing_customers(
    make_harness, monkeypatch
):
    """Listing the customers of a busy month's paid invoices takes several pages; the ids
    of the one the API lost are bisected instead, and the tables still equal a fresh load."""
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND", "0")  # 30k: no waiting
    harness = make_harness(invoices=30000)
    harness.settled()
    paid = [i for i in harness.sandbox.invoices() if i.status == "paid" and not i.is_credit_note]
    busiest = Counter(i.due_date.replace(day=1) for i in paid).most_common(1)[0][0]
    gone = sorted(i.id for i in paid if i.due_date.replace(day=1) == busiest)[123]
    harness.sandbox.delete_invoice(gone)
    harness.later()
    harness.sandbox.log.clear()
    summary = harness.load()
    grouped = harness.sandbox.log.requests("invoices.grouped")
    assert [e for e in grouped if "status" in e.info.params] == []  # no customers listed
    probes = [e for e in grouped if "id_gt" in e.info.params]
    assert 0 < len(probes) <= 8
    assert summary.search_requests == len(probes)
    assert f"({len(probes)} finding deleted invoices)" in summary.line()
    assert harness.query("select count(*) from teamup.invoices where id = ?", gone) == [(0,)]
    harness.assert_exact()


def test_the_summary_counts_the_requests_spent_finding_deleted_invoices(make_harness):
    """A night that deletes nothing spends none; one that deletes an open invoice says how
    many of its requests went to finding it (listings or id probes, as logged)."""
    harness = make_harness(invoices=8000)
    harness.settled()
    harness.sandbox.pay(next(i.id for i in harness.sandbox.invoices() if i.status == "open"))
    harness.later()
    quiet = harness.load()
    assert quiet.search_requests == 0
    assert "finding deleted" not in quiet.line()
    invoices = harness.sandbox.invoices()
    busiest = Counter(i.due_date.replace(day=1) for i in invoices).most_common(1)[0][0]
    harness.sandbox.delete_invoice(
        next(i.id for i in invoices if i.status == "open" and i.due_date.replace(day=1) == busiest)
    )
    harness.later()
    harness.sandbox.log.clear()
    summary = harness.load()
    searched = [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if "status" in e.info.params or "id_gt" in e.info.params
    ]
    assert summary.search_requests == len(searched) > 0
    harness.assert_exact()
