"""Random sequences of changes, loads and backfills: after every run, equal to a fresh load."""

# TEAMUP_RANDOM_RUNS sets how many sequences (6 locally, 50 in CI through .ci/run; raise it for
# a long run); each is reproducible from its seed, shown in the test id.

from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest

RUNS = int(os.environ.get("TEAMUP_RANDOM_RUNS", "6"))


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
        sandbox.clock.advance(minutes=rng.randrange(1, 600))
    return kind


@pytest.mark.parametrize("seed", range(RUNS), ids=[f"seed-{n}" for n in range(RUNS)])
def test_random_changes_loads_and_backfills_stay_exact(make_harness, seed):
    rng = random.Random(seed)
    harness = make_harness(invoices=400, seed=seed + 1)
    harness.load()
    for _step in range(2):
        for _ in range(rng.randrange(1, 8)):
            random_change(harness.sandbox, rng)
        harness.later(minutes=rng.choice((2, 30, 600)))
        if rng.random() < 0.25:
            months = sorted({i.due_date for i in harness.sandbox.invoices()})
            first = rng.choice(months)
            harness.backfill(first, first + timedelta(days=rng.randrange(0, 90)))
        harness.load()
        harness.assert_exact()
