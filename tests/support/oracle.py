"""The raw tables computed again from the sandbox's own data: the oracle of every exactness test."""

# Independent of sources/ and pipelines/ (nothing is imported from them): what a load must
# hold is worked out here from the documented tables (docs/tables.md) and the sandbox's
# store, as compact tuples, so an exactness test never rests on the pipeline agreeing with
# itself. The settings that change what a load holds are read as a user would set them.

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sandbox import Sandbox
from sandbox.model import PAYMENT_PROCESSORS, Invoice
from sandbox.store import ProviderData
from tests.support.expected import Expected, check_marts
from tests.support.targets import Target

# What docs/configuration.md says `grouped_columns` is by default: every documented column.
DEFAULT_GROUPED = (
    "status",
    "customer",
    "purchase_type",
    "payment_processor",
    "due_date_year",
    "due_date_month",
    "payment_year",
    "payment_month",
    "payout_year",
    "payout_month",
    "purchased_item",
    "purchase_fee_type",
)
CUSTOMER = ("customer", "customer_id", "customer.id")  # each keeps the rows per customer
INVOICES = (
    "provider_id, id, number, status, due_date, due_month, confirmed_at, paid_at, updated_at, "
    "is_credit_note, refunded_invoice_id, customer_id, purchase_type, payment_processor, "
    "refund_date, currency, total_amount, subtotal_amount, discount_amount, tax_amount, "
    "credit_amount, adjustment_amount, expected_payment_amount, refund_amount, partition_key"
)
CUSTOMERS = "provider_id, id, name, email"
# Shown of each table when it differs: enough to see what, never a whole table.
SHOWN = 3
# The leading columns that name a row in a message (a grouped row: by its partition).
NAMED_BY = {"invoices": 2, "customers": 2, "invoices_grouped": 3}


@dataclass(frozen=True)
class Settings:
    """What the test configured that changes what a load must hold."""

    stored: dict[int, int]  # sandbox provider id -> the warehouse's provider_id
    start_date: date | None
    grouped: tuple[str, ...]  # the grouped report's attribute columns, as configured
    reporting_timezone: str

    @classmethod
    def configured(cls, sandbox: Sandbox) -> Settings:
        raw = os.environ.get("SOURCES__TEAMUP__PROVIDER_ID", "").strip()
        if raw:
            stored = {int(p): int(p) for p in raw.split(",")}
        else:  # the token's only provider, stored as 0 (docs/tables.md)
            (only,) = sandbox.tokens[sandbox.token]
            stored = {only: 0}
        start = os.environ.get("SOURCES__TEAMUP__START_DATE")
        columns = os.environ.get("SOURCES__TEAMUP__GROUPED_COLUMNS")
        return cls(
            stored=stored,
            start_date=date.fromisoformat(start) if start else None,
            grouped=tuple(json.loads(columns)) if columns else DEFAULT_GROUPED,
            reporting_timezone=os.environ.get("MODELS__REPORTING_TIMEZONE", "UTC"),
        )

    @property
    def by_customer(self) -> bool:
        return any(column in CUSTOMER for column in self.grouped)

    def group_columns(self) -> list[str]:
        """invoices_grouped's attribute columns, as configured (rows are per due month
        whatever the list says: due_month and partition_key carry it)."""
        columns: list[str] = []
        for name in self.grouped:
            for column in _GROUP_COLUMNS[name]:
                if column not in columns:
                    columns.append(column)
        return columns


def _month_of(day: date | datetime) -> date:
    return date(day.year, day.month, 1)


def _payment(invoice: Invoice, data: ProviderData) -> datetime | None:
    # payment months are the provider's own (docs/tables.md, the sandbox README)
    return invoice.paid_at.astimezone(data.provider.tz) if invoice.paid_at else None


# Each configurable grouped column: the table columns it becomes (docs/tables.md).
_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "customer": ("customer_id",),
    "customer_id": ("customer_id",),
    "customer.id": ("customer_id",),
    "purchase_type": ("purchase_type",),
    "payment_processor": ("payment_processor",),
    "due_date_year": ("due_date_year",),
    "due_date_month": ("due_date_month",),
    "payment_year": ("payment_year",),
    "payment_month": ("payment_month",),
    "payout_year": ("payout_year",),
    "payout_month": ("payout_month",),
    "purchased_item": ("purchased_item_id", "purchased_item_name"),
    "purchase_fee_type": ("purchase_fee_type",),
}


def _attributes(invoice: Invoice, data: ProviderData) -> dict[str, object]:
    """Every grouped column's value for one invoice, as the table stores it."""
    paid = _payment(invoice, data)
    payout = invoice.payout_date
    return {
        "status": invoice.status,
        "customer_id": invoice.customer_id,
        "purchase_type": invoice.purchase_type,
        "payment_processor": PAYMENT_PROCESSORS.get(invoice.payment_processor_id or 0),
        "due_date_year": invoice.due_date.year,
        "due_date_month": invoice.due_date.month,
        "payment_year": paid.year if paid else None,
        "payment_month": paid.month if paid else None,
        "payout_year": payout.year if payout else None,
        "payout_month": payout.month if payout else None,
        "purchased_item_id": invoice.item_id,
        "purchased_item_name": data.items[invoice.item_id].name,
        "purchase_fee_type": invoice.purchase_fee_type,
    }


def _instant(moment: datetime | None) -> datetime | None:
    """As the API writes it: to the millisecond (the sandbox's clock keeps no finer)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


class Oracle:
    """The rows of invoices, invoices_grouped and customers a load of the sandbox's data now
    must hold, and the marts, computed from the sandbox's store under its lock."""

    def __init__(self, sandbox: Sandbox, settings: Settings) -> None:
        self.settings = settings
        self.columns = settings.group_columns()
        invoices: list[tuple] = []
        groups: Counter[tuple] = Counter()
        customers: list[tuple] = []
        self.marts: list[Invoice] = []
        with sandbox.store.lock:
            for provider, stored in sorted(settings.stored.items()):
                data = sandbox.store.provider_data(provider)
                seen: set[int] = set()
                for invoice in self._loaded(data):
                    invoices.append(self._invoice(invoice, data, stored))
                    groups[self._group(invoice, data, stored)] += 1
                    seen.add(invoice.customer_id)
                    self.marts.append(Invoice(**vars(invoice)))
                customers += [
                    (stored, c.id, c.name, c.email) for c in data.customers.values() if c.id in seen
                ]
        self.tables = {
            "invoices": invoices,
            "invoices_grouped": [(*key, count) for key, count in groups.items()],
            "customers": customers,
        }

    def _loaded(self, data: ProviderData) -> Iterator[Invoice]:
        start = self.settings.start_date
        return (i for i in data.invoices.values() if start is None or i.due_date >= start)

    def _partition(self, stored: int, invoice: Invoice) -> str:
        # no customer (a walk-in), or no customer in the grouping: the month's "*" partition
        customer = invoice.customer_id if self.settings.by_customer else None
        who = "*" if customer is None else str(customer)
        return f"{stored}/{invoice.due_date:%Y-%m}/{who}"  # docs/tables.md

    def _invoice(self, invoice: Invoice, data: ProviderData, stored: int) -> tuple:
        return (
            stored,
            invoice.id,
            invoice.number,
            invoice.status,
            invoice.due_date,
            _month_of(invoice.due_date),
            _instant(invoice.confirmed_at),
            _instant(invoice.paid_at),
            _instant(invoice.updated_at),
            invoice.is_credit_note,
            invoice.refunded_invoice_id,
            invoice.customer_id,
            invoice.purchase_type,
            PAYMENT_PROCESSORS.get(invoice.payment_processor_id or 0),
            invoice.refund_date,
            data.provider.currency.code,
            invoice.total,
            invoice.subtotal,
            invoice.discount,
            invoice.tax,
            invoice.credit,
            invoice.adjustment,
            invoice.expected_payment,
            invoice.refund_amount,
            self._partition(stored, invoice),
        )

    def _group(self, invoice: Invoice, data: ProviderData, stored: int) -> tuple:
        return (
            stored,
            _month_of(invoice.due_date),
            self._partition(stored, invoice),
            *map(_attributes(invoice, data).__getitem__, self.columns),
        )

    def columns_of(self) -> dict[str, list[str]]:
        """Each table's columns in the oracle's order."""
        found = {
            "invoices": INVOICES.split(", "),
            "invoices_grouped": [
                "provider_id",
                "due_month",
                "partition_key",
                *self.columns,
                "invoice_count",
            ],
        }
        if "customer" in self.settings.grouped:  # names and emails come with the object only
            found["customers"] = CUSTOMERS.split(", ")
        return found

    def check(self, target: Target, marts: bool = True) -> None:
        """The target's raw tables (and, with the default grouping, its marts) as computed."""
        for table, columns in self.columns_of().items():
            got = target.rows(f"select {', '.join(columns)} from teamup.{table}")
            assert_rows(table, columns, got, self.tables[table])
        if marts and self.settings.grouped == DEFAULT_GROUPED:  # the marts read these columns
            expected = Expected(self.marts, self.settings.stored, self.settings.reporting_timezone)
            check_marts(target, expected)


def assert_rows(
    table: str, columns: list[str], got: Iterable[tuple], want: Iterable[tuple]
) -> None:
    """The same rows, as many times each; on a difference, a few rows of each side named by
    their leading columns, with the columns that differ."""
    have, expected = Counter(got), Counter(want)
    if have == expected:
        return
    missing = list((expected - have).elements())
    unexpected = list((have - expected).elements())
    width = NAMED_BY[table]
    extra = {row[:width]: row for row in unexpected}
    shown = []
    for row in missing[:SHOWN]:
        other = extra.get(row[:width])
        if other is None:
            shown.append(f"{row[:width]} missing")
            continue
        changed = [
            f"{name} {mine!r} != {theirs!r}"
            for name, mine, theirs in zip(columns, row, other, strict=True)
            if mine != theirs
        ]
        shown.append(f"{row[:width]}: {', '.join(changed)}")
    named = {row[:width] for row in missing}
    shown += [f"{row[:width]} unexpected" for row in unexpected[:SHOWN] if row[:width] not in named]
    raise AssertionError(
        f"{table} differs from the oracle ({', '.join(columns[:width])}: expected != loaded): "
        f"{len(missing)} rows missing, {len(unexpected)} unexpected; e.g. {'; '.join(shown)}"
    )
