"""A load sees everything the API shows when it starts, even what changed in that second."""

# TeamUp's clock reaches us as the Date header, to the second. A change stamped 400 ms into
# the second the run starts in is older than the run, so it must be in it: the window reads
# to the end of that second, and the watermark stays at its start.

from __future__ import annotations

from datetime import timedelta

import pytest


def _paid(sandbox):
    return [i for i in sorted(sandbox.invoices(), key=lambda i: i.id) if i.status == "paid"]


def pay(sandbox):
    invoice = next(i for i in sorted(sandbox.invoices(), key=lambda i: i.id) if i.status == "open")
    sandbox.pay(invoice.id, processor_id=2)


def rename(sandbox):
    sandbox.rename_customer(sandbox.customers()[7].id, "Zoë Just-Now")


def redate_two_paid_invoices_leaving_month_counts_equal(sandbox):
    """Two paid invoices swap due months: every (due month, status) count stays the same."""
    paid = _paid(sandbox)
    first = paid[0]
    second = next(i for i in paid if i.due_date.replace(day=1) != first.due_date.replace(day=1))
    sandbox.move_due_date(first.id, second.due_date)
    sandbox.move_due_date(second.id, first.due_date)


def refund(sandbox):
    invoice = next(i for i in _paid(sandbox) if not i.is_credit_note and not i.refund_date)
    sandbox.refund(invoice.id)


def change_the_processor_of_a_paid_invoice(sandbox):
    invoice = _paid(sandbox)[3]
    sandbox.pay(invoice.id, processor_id=3 if invoice.payment_processor_id != 3 else 4)


CHANGES = [
    pay,
    rename,
    redate_two_paid_invoices_leaving_month_counts_equal,
    refund,
    change_the_processor_of_a_paid_invoice,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_a_change_made_just_before_a_load_is_in_that_load(harness, change):
    harness.load()
    before = harness.tables()
    harness.later()
    harness.sandbox.clock.advance(seconds=0.4)  # into a second the Date header rounds down
    change(harness.sandbox)
    harness.load()  # at once: the clock has not moved
    after = harness.tables()
    assert after != before, "the change should show in the warehouse"
    assert after == harness.fresh_tables()


def test_the_watermark_never_steps_past_what_was_read(harness):
    harness.sandbox.clock.advance(seconds=0.4)
    harness.load()
    clock = harness.sandbox.clock.now()
    (mark,) = harness.watermarks().values()
    assert mark == (clock - timedelta(milliseconds=400)).isoformat()  # the Date's second
