"""Recurring revenue and receivables against the oracle, on both warehouses: a first load and
a night that voids, fails and deletes membership invoices and adds a member, read in a
session whose TimeZone is a day away from the reporting timezone's."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from tests.support.expected import (
    ZERO,
    Expected,
    check_marts,
    first_of,
    next_month,
    read_marts,
)
from tests.support.targets import DESTINATIONS

# UTC+14 and UTC-11: whatever the hour, their dates differ, so a view that took "today" or
# "this month" from the session instead of the reporting timezone would be off by a day.
REPORTING = "Pacific/Kiritimati"
SESSION = "Pacific/Pago_Pago"
PLAN, CHEAPER_PLAN, DROP_IN, BOTTLE = 1001, 1003, 1005, 1009  # provider 1's catalogue


def by_id(sandbox):
    return sorted(sandbox.invoices(), key=lambda i: i.id)


def memberships(sandbox, **wanted):
    return [
        i
        for i in by_id(sandbox)
        if i.purchase_type == "membership"
        and not i.is_credit_note
        and all(getattr(i, k) == v for k, v in wanted.items())
    ]


def owe_in_every_bucket(sandbox, today: date) -> None:
    """Unpaid invoices on each bucket's edges (0, 30 | 31, 60 | 61, 90 | 91 days past due),
    one not due yet, and a walk-in's (no customer)."""
    customer = sandbox.customers()[0].id
    for days in (0, 30, 31, 60, 61, 90, 91, 400, -1):
        sandbox.add_invoice(customer, DROP_IN, today - timedelta(days=days), "open")
    sandbox.add_invoice(None, BOTTLE, today - timedelta(days=3), "failed")


def empty_a_month(sandbox, month: date) -> None:
    """Every membership invoice due in the month voided: everyone churns, then comes back."""
    for invoice in memberships(sandbox):
        if first_of(invoice.due_date) == month:
            sandbox.set_status(invoice.id, "voided")


def check_identity(rows: dict[tuple, tuple]) -> None:
    """mrr = previous + new + reactivation + expansion − contraction − churn, every month."""
    accounts: defaultdict[tuple, list] = defaultdict(list)
    for (month, pid, currency), values in rows.items():
        accounts[(pid, currency)].append((month, values))
    for account, months in accounts.items():
        members, mrr = 0, ZERO
        for month, (
            now_members,
            now_mrr,
            new,
            new_mrr,
            back,
            back_mrr,
            up,
            down,
            gone,
            gone_mrr,
        ) in sorted(months):
            assert now_mrr == mrr + new_mrr + back_mrr + up - down - gone_mrr, (account, month)
            assert now_members == members + new + back - gone, (account, month)
            members, mrr = now_members, now_mrr


def check(harness, today: date) -> dict:
    expected = Expected(harness.sandbox.invoices(), {1: 0}, reporting_timezone=REPORTING)
    check_marts(harness.target, expected, session_timezone=SESSION)
    marts = read_marts(harness.target, session_timezone=SESSION)
    mrr = marts["monthly_recurring_revenue"]
    check_identity(mrr)
    assert max(month for month, _, _ in mrr) == first_of(today)  # through the current month
    months = sorted(month for month, _, _ in mrr)
    assert all(next_month(a) == b for a, b in pairwise(months)), "a month is missing or twice"
    return marts


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_recurring_revenue_and_receivables_are_exact(make_harness, destination, monkeypatch):
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", REPORTING)
    harness = make_harness(destination, invoices=600)
    sandbox = harness.sandbox
    today = datetime.now(ZoneInfo(REPORTING)).date()
    owe_in_every_bucket(sandbox, today)
    emptied = first_of(sandbox.clock.now().date() - timedelta(days=190))
    empty_a_month(sandbox, emptied)
    harness.later()
    harness.load()
    marts = check(harness, today)
    mrr = marts["monthly_recurring_revenue"]
    assert mrr[(emptied, 0, "GBP")][:2] == (0, ZERO)  # a month without members has its row
    movements = {2: "new", 4: "reactivation", 6: "expansion", 7: "contraction", 8: "churn"}
    for column, name in movements.items():
        assert any(values[column] for values in mrr.values()), f"no {name} to compare"
    receivables = marts["receivables"]
    assert all(receivables[(0, "GBP", bucket)][0] >= 2 for bucket in ("0-30", "31-60", "61-90"))
    assert receivables[(0, "GBP", "91+")][0] >= 2

    # A night: membership invoices voided, failed and deleted, and a new member.
    harness.later()
    this_month = memberships(sandbox, due_date=max(i.due_date for i in memberships(sandbox)))
    sandbox.set_status(memberships(sandbox, status="paid")[-1].id, "voided")
    sandbox.set_status(memberships(sandbox, status="paid")[-2].id, "failed")
    sandbox.delete_invoice(memberships(sandbox, status="paid")[-3].id)
    sandbox.delete_invoice(this_month[0].id)
    joined = sandbox.add_customer("Nia Ó Súilleabháin", "nia@example.ie")
    sandbox.add_invoice(joined.id, CHEAPER_PLAN, today, "paid")
    harness.later()
    harness.load()
    marts = check(harness, today)
    customers = marts["customer_recurring_revenue"]
    assert customers[(first_of(today), 0, "GBP", joined.id)][0] == "new"
