"""Every mart computed again in plain Python from the sandbox's invoices: the tests' oracle."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.generate import PROVIDERS
from sandbox.model import PAYMENT_PROCESSORS, Invoice
from tests.support.expected_members import MembershipMarts, first_of, next_month
from tests.support.targets import Target

ZERO = Decimal("0.00")
BY_ID = {provider.id: provider for provider in PROVIDERS}
# Invoices a studio is not owed (collection_rate leaves them out); credit notes are left out too.
NOT_BILLED = ("voided", "skipped", "upcoming")


def month_in(moment: datetime, zone: str) -> date:
    return first_of(moment.astimezone(ZoneInfo(zone)))


def ratio(part: Decimal | int, whole: Decimal | int) -> float | None:
    return None if whole == 0 else float(Decimal(part) / Decimal(whole))


@dataclass
class Expected(MembershipMarts):
    """What each view must hold; keys are the view's grain, values its other columns in order.

    stored maps a sandbox provider id to the warehouse's (0 when no provider is configured).
    """

    invoices: list[Invoice]
    stored: Mapping[int, int]
    reporting_timezone: str = "UTC"
    today: date | None = None  # None: this machine's date in the reporting timezone, as read

    def _today(self) -> date:
        return self.today or datetime.now(ZoneInfo(self.reporting_timezone)).date()

    def _pid(self, invoice: Invoice) -> int:
        return self.stored[invoice.provider_id]

    def _currency(self, invoice: Invoice) -> str:
        return BY_ID[invoice.provider_id].currency.code.upper()

    def _paid_month(self, invoice: Invoice) -> date:
        assert invoice.paid_at is not None
        return month_in(invoice.paid_at, self.reporting_timezone)

    def monthly_invoices(self) -> dict[tuple, tuple]:
        counts = Counter(
            (first_of(i.due_date), self._pid(i), i.status, i.purchase_type) for i in self.invoices
        )
        return {key: (n,) for key, n in counts.items()}

    def monthly_payments(self) -> dict[tuple, tuple]:
        # the grouped report's payment months are in the provider's own timezone
        counts = Counter(
            (
                month_in(i.paid_at, BY_ID[i.provider_id].timezone),
                self._pid(i),
                i.purchase_type,
                PAYMENT_PROCESSORS.get(i.payment_processor_id or 0),
            )
            for i in self.invoices
            if i.status == "paid" and i.paid_at is not None
        )
        return {key: (n,) for key, n in counts.items()}

    def revenue_by_purchase_type(self) -> dict[tuple, tuple]:
        paid: Counter[tuple] = Counter()
        gross: defaultdict[tuple, Decimal] = defaultdict(lambda: ZERO)
        refunds: defaultdict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for i in self.invoices:
            if i.is_credit_note:
                continue
            if i.status == "paid":
                key = (self._paid_month(i), self._pid(i), self._currency(i), i.purchase_type)
                paid[key] += 1
                gross[key] += i.total
            if i.refund_date is not None:
                key = (first_of(i.refund_date), self._pid(i), self._currency(i), i.purchase_type)
                refunds[key] += i.refund_amount
        return {
            key: (paid[key], gross[key], refunds[key], gross[key] - refunds[key])
            for key in set(gross) | set(refunds)
        }

    def monthly_revenue(self) -> dict[tuple, tuple]:
        totals: dict[tuple, list] = {}
        for (month, pid, currency, _), values in self.revenue_by_purchase_type().items():
            row = totals.setdefault((month, pid, currency), [0, ZERO, ZERO, ZERO])
            for index, value in enumerate(values):
                row[index] += value
        return {key: tuple(values) for key, values in totals.items()}

    def revenue_growth(self) -> dict[tuple, tuple]:
        revenue = self.monthly_revenue()
        result: dict[tuple, tuple] = {}
        for pid, currency in {(pid, currency) for _, pid, currency in revenue}:
            months = [m for m, p, c in revenue if (p, c) == (pid, currency)]
            month, previous = min(months), None
            while month <= max(months):
                values = revenue.get((month, pid, currency))
                net = values[3] if values else ZERO
                change = None if previous is None else net - previous
                growth = None if previous is None else ratio(net - previous, abs(previous))
                result[(month, pid, currency)] = (net, previous, change, growth)
                month, previous = next_month(month), net
        return result

    def paying_customers(self) -> dict[tuple, tuple]:
        payers: defaultdict[tuple, set[int]] = defaultdict(set)
        first: dict[tuple, date] = {}
        for i in self.invoices:
            # an invoice sold to no customer (a walk-in) is paid by no customer we can count
            if i.status == "paid" and not i.is_credit_note and i.customer_id is not None:
                month = self._paid_month(i)
                payers[(month, self._pid(i))].add(i.customer_id)
                customer = (self._pid(i), i.customer_id)
                first[customer] = min(first.get(customer, month), month)
        return {
            (month, pid): (
                len(customers),
                sum(1 for c in customers if first[(pid, c)] == month),
            )
            for (month, pid), customers in payers.items()
        }

    def collection_rate(self) -> dict[tuple, tuple]:
        rows: dict[tuple, list] = {}
        for i in self.invoices:
            if i.is_credit_note or i.status in NOT_BILLED:
                continue
            key = (first_of(i.due_date), self._pid(i), self._currency(i))
            row = rows.setdefault(key, [0, 0, ZERO, ZERO, ZERO])
            row[0] += 1
            row[2] += i.total
            if i.status == "paid":
                row[1] += 1
                row[3] += i.total
            else:
                row[4] += i.total
        return {key: (*row, ratio(row[3], row[2])) for key, row in rows.items()}

    def failed_payment_rate(self) -> dict[tuple, tuple]:
        rows: dict[tuple, list[int]] = {}
        for i in self.invoices:
            if i.is_credit_note:
                continue
            key = (first_of(i.due_date), self._pid(i), i.purchase_type)
            row = rows.setdefault(key, [0, 0, 0])
            if i.status == "paid":
                row[0] += 1
            elif i.status in ("failed", "retry_failed"):
                row[1] += 1
            elif i.status == "retrying":
                row[2] += 1
        return {
            key: (*row, ratio(row[1], row[0] + row[1])) for key, row in rows.items() if any(row)
        }

    def payments_by_processor(self) -> dict[tuple, tuple]:
        rows: dict[tuple, list] = {}
        for i in self.invoices:
            if i.is_credit_note:
                continue
            processor = PAYMENT_PROCESSORS.get(i.payment_processor_id or 0)
            if i.status == "paid":
                key = (self._paid_month(i), self._pid(i), self._currency(i), processor)
                row = rows.setdefault(key, [0, ZERO, ZERO])
                row[0] += 1
                row[1] += i.total
            if i.refund_date is not None:
                key = (first_of(i.refund_date), self._pid(i), self._currency(i), processor)
                rows.setdefault(key, [0, ZERO, ZERO])[2] += i.refund_amount
        return {
            key: (n, gross, refunds, gross - refunds) for key, (n, gross, refunds) in rows.items()
        }

    def all(self) -> dict[str, dict[tuple, tuple]]:
        return {name: getattr(self, name)() for name in MARTS}


# Each mart and how many of its leading columns make its grain.
MARTS = {
    "monthly_invoices": 4,
    "monthly_payments": 4,
    "monthly_revenue": 3,
    "revenue_by_purchase_type": 4,
    "revenue_growth": 3,
    "paying_customers": 2,
    "collection_rate": 3,
    "failed_payment_rate": 3,
    "payments_by_processor": 4,
    "customer_recurring_revenue": 4,
    "monthly_recurring_revenue": 3,
    "receivables": 3,
}


def assert_same(view: str, got: dict[tuple, tuple], want: dict[tuple, tuple]) -> None:
    """Equal rows: money exactly (and as Decimal, never a float), ratios to float precision."""
    # sets, not sorted lists: a grain column may be null (a refund through no processor)
    assert set(got) == set(want), f"{view}: the rows' keys differ"
    for key, expected_row in want.items():
        row = got[key]
        assert len(row) == len(expected_row), f"{view} {key}: columns differ"
        for value, expected in zip(row, expected_row, strict=True):
            where = f"{view} {key}: {row} != {expected_row}"
            if isinstance(expected, float):
                assert value is not None and abs(value - expected) <= 1e-9 * max(
                    1, abs(expected)
                ), where
            elif isinstance(expected, Decimal):
                assert isinstance(value, Decimal), f"{view} {key}: money is {type(value)}"
                assert value == expected, where
            else:
                assert value == expected, where


def keyed(rows: Iterable[tuple], grain: int, view: str) -> dict[tuple, tuple]:
    """Rows by their grain; two rows with one key would be a broken grain."""
    listed = list(rows)
    found = {row[:grain]: row[grain:] for row in listed}
    assert len(found) == len(listed), f"{view}: two rows share a grain key"
    return found


def read_marts(warehouse: Path | Target, session_timezone: str | None = None) -> dict[str, dict]:
    """Every mart's rows by grain, read as an analyst would (optionally in their TimeZone)."""
    target = warehouse if isinstance(warehouse, Target) else Target("duckdb", str(warehouse))
    return {
        name: keyed(
            target.rows(f"select * from teamup_marts.{name}", session_timezone=session_timezone),
            grain,
            name,
        )
        for name, grain in MARTS.items()
    }


def check_marts(
    database: Path | Target, expected: Expected, session_timezone: str | None = None
) -> None:
    """The marts against the oracle; read again if the reporting date turned meanwhile (the
    views that follow today would then disagree with either date)."""
    for _ in range(2):
        before = expected._today()
        got = read_marts(database, session_timezone)
        if expected._today() == before:
            break
    for name, want in expected.all().items():
        assert_same(name, got[name], want)
