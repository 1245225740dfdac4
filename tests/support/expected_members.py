"""The independent computation of the membership marts: recurring revenue and receivables."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")
# A membership invoice with these is no recurring revenue (docs/tables.md).
NOT_RECURRING = ("voided", "skipped")
# Invoices still to be paid: what receivables counts once they are due.
OWED = ("open", "failed", "retrying", "retry_failed", "pending_offline", "pending_online")
AGE_BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (None, "91+"))


def first_of(day: date) -> date:
    return date(day.year, day.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class MembershipMarts:
    """What monthly_recurring_revenue, customer_recurring_revenue and receivables must hold,
    from the sandbox's invoices (`Expected` supplies them, today and the provider ids)."""

    def _recurring(self) -> dict[tuple, dict[date, Decimal]]:
        """(provider, currency, customer) -> {due month: recurring revenue}, above zero only,
        through the current month."""
        sums: defaultdict[tuple, Decimal] = defaultdict(lambda: ZERO)
        current = first_of(self._today())
        for i in self.invoices:
            month = first_of(i.due_date)
            if (
                i.purchase_type == "membership"
                and not i.is_credit_note
                and i.status not in NOT_RECURRING
                and i.customer_id is not None
                and month <= current
            ):
                sums[(self._pid(i), self._currency(i), i.customer_id, month)] += i.total
        found: defaultdict[tuple, dict[date, Decimal]] = defaultdict(dict)
        for (pid, currency, customer, month), amount in sums.items():
            if amount > 0:
                found[(pid, currency, customer)][month] = amount
        return found

    def customer_recurring_revenue(self) -> dict[tuple, tuple]:
        """Customer by customer, month by month from their first: what moved."""
        current, result = first_of(self._today()), {}
        for (pid, currency, customer), months in self._recurring().items():
            month, previous, seen = min(months), ZERO, False
            while month <= current:
                now = months.get(month, ZERO)
                if now > 0:
                    if not seen:
                        movement = "new"
                    elif previous == 0:
                        movement = "reactivation"
                    else:
                        movement = {1: "expansion", -1: "contraction", 0: "unchanged"}[
                            (now > previous) - (now < previous)
                        ]
                    seen = True
                elif previous > 0:
                    movement = "churn"
                if now > 0 or previous > 0:
                    key = (month, pid, currency, customer)
                    result[key] = (movement, previous, now, now - previous)
                month, previous = next_month(month), now
        return result

    def monthly_recurring_revenue(self) -> dict[tuple, tuple]:
        """Month by month, set by set: who pays this month, last month, ever before."""
        current = first_of(self._today())
        by_account: defaultdict[tuple, dict[int, dict[date, Decimal]]] = defaultdict(dict)
        for (pid, currency, customer), months in self._recurring().items():
            by_account[(pid, currency)][customer] = months
        result: dict[tuple, tuple] = {}
        for (pid, currency), customers in by_account.items():
            month = min(min(months) for months in customers.values())
            before: set[int] = set()  # members in any month before this one
            last: dict[int, Decimal] = {}
            while month <= current:
                now = {c: m[month] for c, m in customers.items() if month in m}
                new = [c for c in now if c not in before]
                back = [c for c in now if c in before and c not in last]
                kept = [c for c in now if c in last]
                gone = [c for c in last if c not in now]
                result[(month, pid, currency)] = (
                    len(now),
                    sum(now.values(), ZERO),
                    len(new),
                    sum((now[c] for c in new), ZERO),
                    len(back),
                    sum((now[c] for c in back), ZERO),
                    sum((now[c] - last[c] for c in kept if now[c] > last[c]), ZERO),
                    sum((last[c] - now[c] for c in kept if now[c] < last[c]), ZERO),
                    len(gone),
                    sum((last[c] for c in gone), ZERO),
                )
                before |= set(now)
                month, last = next_month(month), now
        return result

    def receivables(self) -> dict[tuple, tuple]:
        today = self._today()
        rows: dict[tuple, list] = {}
        for i in self.invoices:
            for _, bucket in AGE_BUCKETS:  # every bucket of a provider and currency
                rows.setdefault((self._pid(i), self._currency(i), bucket), [0, set(), ZERO])
        for i in self.invoices:
            if i.status not in OWED or i.is_credit_note or i.due_date > today:
                continue
            days = (today - i.due_date).days
            bucket = next(name for limit, name in AGE_BUCKETS if limit is None or days <= limit)
            row = rows[(self._pid(i), self._currency(i), bucket)]
            row[0] += 1
            if i.customer_id is not None:
                row[1].add(i.customer_id)
            row[2] += i.total
        return {key: (n, len(customers), due) for key, (n, customers, due) in rows.items()}
