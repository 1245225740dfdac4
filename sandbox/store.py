"""The sandbox's mutable data, and the test hooks that change it the way TeamUp would."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .clock import Clock
from .model import (
    PAYMENT_PROCESSORS,
    STATUSES,
    ZERO,
    Customer,
    Invoice,
    Item,
    Provider,
    credit_note,
    payout_date,
)

UNSET = object()


@dataclass
class ProviderData:
    provider: Provider
    customers: dict[int, Customer] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)
    invoices: dict[int, Invoice] = field(default_factory=dict)


class Store:
    """All providers' data behind one lock; every change bumps `version` (the query cache key)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.version = 0
        self.providers: dict[int, ProviderData] = {}
        self._next_invoice_id = 1
        self._by_due: dict[int, tuple[int, list[date], list[Invoice]]] = {}

    # -- reading -------------------------------------------------------------------------------

    def provider_data(self, provider_id: int) -> ProviderData:
        return self.providers[provider_id]

    def invoice(self, invoice_id: int) -> Invoice:
        for data in self.providers.values():
            if invoice_id in data.invoices:
                return data.invoices[invoice_id]
        raise KeyError(f"no invoice {invoice_id}")

    def invoices_due_between(
        self, provider_id: int, first: date | None, last: date | None
    ) -> list[Invoice]:
        """Invoices with first <= due_date <= last, in due-date order, through a bisect index."""
        version, dues, invoices = self._by_due.get(provider_id, (-1, [], []))
        if version != self.version:
            invoices = sorted(
                self.providers[provider_id].invoices.values(), key=lambda i: (i.due_date, i.id)
            )
            dues = [i.due_date for i in invoices]
            self._by_due[provider_id] = (self.version, dues, invoices)
        lo = bisect.bisect_left(dues, first) if first else 0
        hi = bisect.bisect_right(dues, last) if last else len(dues)
        return invoices[lo:hi]

    def customer(self, customer_id: int) -> Customer:
        for data in self.providers.values():
            if customer_id in data.customers:
                return data.customers[customer_id]
        raise KeyError(f"no customer {customer_id}")

    # -- building ------------------------------------------------------------------------------

    def add_provider(self, provider: Provider) -> ProviderData:
        data = ProviderData(provider)
        self.providers[provider.id] = data
        return data

    def new_invoice_id(self) -> int:
        invoice_id = self._next_invoice_id
        self._next_invoice_id += 1
        return invoice_id

    def insert(self, invoice: Invoice) -> Invoice:
        with self.lock:
            self.providers[invoice.provider_id].invoices[invoice.id] = invoice
            self._next_invoice_id = max(self._next_invoice_id, invoice.id + 1)
            self.version += 1
        return invoice

    # -- test hooks: each stamps updated_at with the clock's now -------------------------------

    def _touch(self, invoice: Invoice) -> datetime:
        now = self.clock.now()
        invoice.updated_at = now
        self.version += 1
        return now

    def pay(self, invoice_id: int, processor_id: int = 1) -> Invoice:
        if processor_id not in PAYMENT_PROCESSORS:
            raise ValueError(f"unknown payment processor {processor_id}")
        with self.lock:
            invoice = self.invoice(invoice_id)
            now = self._touch(invoice)
            invoice.status = "paid"
            invoice.paid_at = now
            invoice.confirmed_at = invoice.confirmed_at or now
            invoice.payment_processor_id = processor_id
            invoice.payout_date = payout_date(processor_id, now.date())
            return invoice

    def set_status(self, invoice_id: int, status: str) -> Invoice:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status == "paid":
            return self.pay(invoice_id)
        with self.lock:
            invoice = self.invoice(invoice_id)
            self._touch(invoice)
            invoice.status = status
            # Only paid invoices carry a payment: none on unpaid ones.
            invoice.paid_at = None
            invoice.payment_processor_id = None
            invoice.payout_date = None
            return invoice

    def add_customer(self, provider_id: int, name: str, email: str | None) -> Customer:
        """A customer who joins today, with no invoices yet (the report shows them with one)."""
        with self.lock:
            data = self.providers[provider_id]
            customer_id = max(data.customers, default=provider_id * 100_000) + 1
            venue_id = data.provider.venues[0][0]
            customer = Customer(customer_id, name, email, venue_id, self.clock.now().date())
            data.customers[customer_id] = customer
            self.version += 1
            return customer

    def add_invoice(
        self,
        provider_id: int,
        customer_id: int | None,
        item_id: int,
        due_date: date,
        status: str = "open",
    ) -> Invoice:
        """A new invoice; customer_id None sells it to no customer (a walk-in)."""
        with self.lock:
            data = self.providers[provider_id]
            item = data.items[item_id]
            if customer_id is not None and customer_id not in data.customers:
                raise KeyError(f"no customer {customer_id} at provider {provider_id}")
            now = self.clock.now()
            invoice_id = self.new_invoice_id()
            invoice = Invoice(
                id=invoice_id,
                provider_id=provider_id,
                number=f"INV-{invoice_id:07d}",
                customer_id=customer_id,
                item_id=item.id,
                purchase_type=item.purchase_type,
                status="open",
                due_date=due_date,
                updated_at=now,
                confirmed_at=now,
                subtotal=item.price,
            )
            self.insert(invoice)
        return self.set_status(invoice.id, status) if status != "open" else invoice

    def change(self, invoice_id: int, **fields: object) -> Invoice:
        """Change an invoice's attributes as TeamUp would, stamping updated_at, with no check
        against the documented lists: what the real API may send (a status `written_off`, a
        purchase type `appointment`, no customer at all)."""
        with self.lock:
            invoice = self.invoice(invoice_id)
            for name in fields:
                if not hasattr(invoice, name) or name in ("id", "updated_at"):
                    raise ValueError(f"not an attribute to change: {name}")
            self._touch(invoice)
            for name, value in fields.items():
                setattr(invoice, name, value)
            return invoice

    def change_without_stamp(self, invoice_id: int, **fields: object) -> Invoice:
        """Change an invoice's attributes and leave updated_at alone: the broken assumption
        of an API that does not stamp every change (what only the audit can see)."""
        with self.lock:
            invoice = self.invoice(invoice_id)
            for name, value in fields.items():
                if not hasattr(invoice, name) or name == "updated_at":
                    raise ValueError(f"not an attribute to change silently: {name}")
                setattr(invoice, name, value)
            self.version += 1
            return invoice

    def delete_invoice(self, invoice_id: int) -> None:
        with self.lock:
            invoice = self.invoice(invoice_id)
            del self.providers[invoice.provider_id].invoices[invoice_id]
            self.version += 1

    def move_due_date(self, invoice_id: int, due_date: date) -> Invoice:
        with self.lock:
            invoice = self.invoice(invoice_id)
            self._touch(invoice)
            invoice.due_date = due_date
            return invoice

    def refund(self, invoice_id: int, amount: Decimal | None = None) -> Invoice:
        """Refund a paid invoice (whole by default): a credit note, and refund_* on the original."""
        with self.lock:
            original = self.invoice(invoice_id)
            if original.status != "paid" or original.is_credit_note:
                raise ValueError(f"invoice {invoice_id} is not a paid invoice")
            amount = original.total if amount is None else Decimal(amount).quantize(ZERO)
            now = self._touch(original)
            original.refund_amount += amount
            original.refund_date = now.date()
            note_id = self.new_invoice_id()
            note = credit_note(original, note_id, f"CN-{original.number}", amount, now)
            return self.insert(note)

    def rename_customer(
        self, customer_id: int, name: str, email: object = UNSET, stamp: bool = True
    ) -> Customer:
        """Rename a customer. Assumption (see README): TeamUp stamps the customer's invoices;
        `stamp=False` breaks it, as an API that does not would."""
        with self.lock:
            customer = self.customer(customer_id)
            customer.name = name
            if email is not UNSET:
                customer.email = email  # type: ignore[assignment]
            for data in self.providers.values():
                for invoice in data.invoices.values():
                    if invoice.customer_id == customer_id and stamp:
                        self._touch(invoice)
            self.version += 1
            return customer
