"""The members section's two marts computed again in plain Python from the sandbox's invoices."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from tests.support.expected import Expected, first_of, next_month

ZERO = Decimal("0.00")
OWED = ("open", "failed", "retrying", "retry_failed", "pending_offline", "pending_online")


def recurring_revenue(expected: Expected, today: date) -> dict[tuple, tuple]:
    """monthly_recurring_revenue by (month, provider, currency): members, mrr, new_members,
    new_mrr, reactivated_members, reactivation_mrr, expansion_mrr, contraction_mrr,
    churned_members, churned_mrr; every month from the first with revenue through today's."""
    billed: defaultdict[tuple, defaultdict[int, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for i in expected.invoices:
        if (
            i.purchase_type == "membership"
            and not i.is_credit_note
            and i.status not in ("voided", "skipped")
            and i.customer_id is not None
        ):
            key = (first_of(i.due_date), expected._pid(i), expected._currency(i))
            billed[key][i.customer_id] += i.total
    result: dict[tuple, tuple] = {}
    for pid, currency in {(p, c) for _, p, c in billed}:
        months = [
            m for m, p, c in billed if (p, c) == (pid, currency) and _members(billed[(m, p, c)])
        ]
        if not months:
            continue
        month, before, seen = min(months), {}, set()
        while month <= first_of(today):
            now = _members(billed.get((month, pid, currency), {}))
            result[(month, pid, currency)] = _movements(now, before, seen)
            seen |= set(now)
            month, before = next_month(month), now
    return result


def _members(amounts: dict[int, Decimal]) -> dict[int, Decimal]:
    return {customer: amount for customer, amount in amounts.items() if amount > 0}


def _movements(now: dict[int, Decimal], before: dict[int, Decimal], seen: set[int]) -> tuple:
    new = [c for c in now if c not in seen]
    back = [c for c in now if c in seen and c not in before]
    both = [c for c in now if c in before]
    gone = [c for c in before if c not in now]
    return (
        len(now),
        sum(now.values(), ZERO),
        len(new),
        sum((now[c] for c in new), ZERO),
        len(back),
        sum((now[c] for c in back), ZERO),
        sum((now[c] - before[c] for c in both if now[c] > before[c]), ZERO),
        sum((before[c] - now[c] for c in both if now[c] < before[c]), ZERO),
        len(gone),
        sum((before[c] for c in gone), ZERO),
    )


def receivables(expected: Expected, today: date) -> dict[tuple, tuple]:
    """receivables by (provider, currency, age_bucket): invoices, customers, amount_due."""
    rows: dict[tuple, list] = {}
    for i in expected.invoices:
        if i.status not in OWED or i.is_credit_note or i.due_date > today:
            continue
        days = (today - i.due_date).days
        age = "0-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else "91+"
        row = rows.setdefault((expected._pid(i), expected._currency(i), age), [0, set(), ZERO])
        row[0] += 1
        if i.customer_id is not None:
            row[1].add(i.customer_id)
        row[2] += i.total
    return {key: (n, len(customers), due) for key, (n, customers, due) in rows.items()}
