"""Random changes to a sandbox's data, as the randomized sequences make them."""

from __future__ import annotations

import random
from datetime import timedelta


def random_change(sandbox, rng: random.Random) -> str:
    invoices = sorted(sandbox.invoices(), key=lambda i: i.id)
    invoice = rng.choice(invoices)
    kind = rng.choice(["pay", "status", "add", "delete", "move", "rename", "refund", "clock"])
    if kind == "pay" and invoice.status != "paid":
        sandbox.pay(invoice.id, processor_id=rng.choice((1, 2, 3, 4)))
    elif kind == "status":
        sandbox.set_status(invoice.id, rng.choice(["open", "failed", "voided", "retrying"]))
    elif kind == "add":
        customer = rng.choice(sandbox.customers())
        due = invoice.due_date + timedelta(days=rng.randrange(-40, 40))
        sandbox.add_invoice(
            customer.id, rng.choice((1001, 1005, 1009)), due, rng.choice(["open", "paid"])
        )
    elif kind == "delete":
        sandbox.delete_invoice(invoice.id)
    elif kind == "move":
        sandbox.move_due_date(
            invoice.id, invoice.due_date + timedelta(days=rng.choice((-61, -20, 31, 95)))
        )
    elif kind == "rename":
        customer = rng.choice(sandbox.customers())
        sandbox.rename_customer(customer.id, f"{customer.name} {rng.choice(['Jr', 'Ñ', 'O’Neil'])}")
    elif (
        kind == "refund"
        and invoice.status == "paid"
        and not invoice.is_credit_note
        and not invoice.refund_date
    ):
        sandbox.refund(invoice.id)
    else:
        # sub-second too: the Date header rounds down, and a change in that second counts
        sandbox.clock.advance(minutes=rng.randrange(1, 600), seconds=rng.random())
    return kind


def random_sequence(harness, rng: random.Random, steps: int = 2) -> None:
    """A first load, then `steps` times: random changes, time passing, sometimes a backfill,
    a load; after every load the warehouse must hold what the oracle computes from the
    sandbox's data, and equal a fresh load."""
    harness.load()
    for _step in range(steps):
        for _ in range(rng.randrange(1, 8)):
            random_change(harness.sandbox, rng)
        harness.later(minutes=rng.choice((2, 30, 600)))
        if rng.random() < 0.25:
            months = sorted({i.due_date for i in harness.sandbox.invoices()})
            first = rng.choice(months)
            harness.backfill(first, first + timedelta(days=rng.randrange(0, 90)))
        harness.load()
        harness.assert_exact()
