"""The sandbox's data model: providers, customers, catalogue items and invoices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

ZERO = Decimal("0.00")

STATUSES = (
    "open",
    "paid",
    "pending_offline",
    "pending_online",
    "failed",
    "voided",
    "upcoming",
    "skipped",
    "retrying",
    "retry_failed",
)
PURCHASE_TYPES = ("class", "course", "course_session", "membership", "store")

# Payment processors are global in TeamUp; the report filters take their ids and rows show names.
PAYMENT_PROCESSORS = {1: "Stripe", 2: "GoCardless", 3: "Cash", 4: "Bank transfer"}
# Processors that pay out to the studio's bank account some days after the payment.
PAYOUT_DELAY_DAYS = {1: 2, 2: 5}


@dataclass(frozen=True)
class Currency:
    code: str  # lower case, as the API writes it ("gbp")
    symbol: str
    position: str  # "before" or "after"

    def format(self, amount: Decimal) -> str:
        number = f"{abs(amount):,.2f}"
        sign = "-" if amount < 0 else ""
        if self.position == "before":
            return f"{sign}{self.symbol}{number}"
        return f"{sign}{number} {self.symbol}"


GBP = Currency("gbp", "£", "before")
EUR = Currency("eur", "€", "after")
USD = Currency("usd", "$", "before")


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    currency: Currency
    timezone: str  # derived months (payment_month, payout_month) are local to the provider
    venues: tuple[tuple[int, str], ...]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class Customer:
    id: int
    name: str
    email: str | None
    venue_id: int
    joined_on: date


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    purchase_type: str
    price: Decimal


@dataclass
class Invoice:
    id: int
    provider_id: int
    number: str
    customer_id: int | None  # None: sold to no customer (a walk-in's store purchase)
    item_id: int
    purchase_type: str
    status: str
    due_date: date
    updated_at: datetime
    confirmed_at: datetime | None = None
    paid_at: datetime | None = None
    payment_processor_id: int | None = None
    payout_date: date | None = None
    purchase_fee_type: str | None = None
    is_credit_note: bool = False
    refunded_invoice_id: int | None = None
    customer_membership_id: int | None = None
    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    credit: Decimal = ZERO
    adjustment: Decimal = ZERO
    refund_amount: Decimal = ZERO
    refund_date: date | None = None
    discount_code: tuple[str, str] | None = None  # (name, code)
    legacy_mapping: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.tax - self.credit + self.adjustment

    @property
    def expected_payment(self) -> Decimal:
        return self.total

    @property
    def payout_id(self) -> str | None:
        if self.payout_date is None:
            return None
        return f"po_{self.payment_processor_id}_{self.payout_date:%Y%m%d}"


def payout_date(processor_id: int | None, paid_on: date) -> date | None:
    """When a payment reaches the studio's bank; None for processors without payouts."""
    delay = PAYOUT_DELAY_DAYS.get(processor_id or 0)
    return paid_on + timedelta(days=delay) if delay else None


def credit_note(
    original: Invoice, note_id: int, number: str, amount: Decimal, at: datetime
) -> Invoice:
    """The paid credit note that refunds `amount` of `original` at `at`."""
    return Invoice(
        id=note_id,
        provider_id=original.provider_id,
        number=number,
        customer_id=original.customer_id,
        item_id=original.item_id,
        purchase_type=original.purchase_type,
        status="paid",
        due_date=at.date(),
        updated_at=at,
        confirmed_at=at,
        paid_at=at,
        payment_processor_id=original.payment_processor_id,
        payout_date=payout_date(original.payment_processor_id, at.date()),
        is_credit_note=True,
        refunded_invoice_id=original.id,
        subtotal=-amount,
    )
