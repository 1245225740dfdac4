"""Column catalogues of the two reports: header metadata, aliases, and how to read each value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .model import PAYMENT_PROCESSORS, Invoice, Provider
from .store import ProviderData


@dataclass(frozen=True)
class Column:
    """`extract` gives a hashable, comparable value (grouping, sorting); `render` makes it JSON."""

    key: str  # header key; nested keys use dot-notation, as the docs say
    label: str
    extract: Callable[[Invoice, ProviderData], Any]
    render: Callable[[Any, ProviderData], Any] = lambda value, _data: value
    sortable: bool = True
    holds_customer_id: bool = False
    required: bool = False
    fields: tuple[str, ...] = ()  # an object value's keys (dot-notation), its CSV columns


def local(moment: datetime, provider: Provider) -> datetime:
    return moment.astimezone(provider.tz)


def iso_datetime(moment: datetime | None, data: ProviderData) -> str | None:
    """ISO 8601 with milliseconds in the provider's zone; `Z` when its offset is zero."""
    if moment is None:
        return None
    text = local(moment, data.provider).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def iso_date(day: date | None, _data: ProviderData) -> str | None:
    return day.isoformat() if day else None


def money(amount: Decimal, data: ProviderData) -> dict[str, Any]:
    currency = data.provider.currency
    return {
        "decimal": amount,
        "string": currency.format(amount),
        "iso_currency_code": currency.code,
        "currency_symbol": currency.symbol,
        "currency_symbol_position": currency.position,
    }


def _customer(
    customer_id: int | None, data: ProviderData, venue: bool = False
) -> dict[str, Any] | None:
    """The customer object; null for an invoice sold to no customer (the docs do not say a
    customer is required, so the sandbox serves the plainest reading of its absence)."""
    if customer_id is None:
        return None
    customer = data.customers[customer_id]
    found = {"id": customer.id, "name": customer.name, "email": customer.email}
    if venue:
        found["venue"] = _venue(customer.venue_id, data)
    return found


def _venue(venue_id: int, data: ProviderData) -> dict[str, Any]:
    return {"id": venue_id, "name": dict(data.provider.venues)[venue_id]}


def _customer_attr(attr: str) -> Callable[[Invoice, ProviderData], Any]:
    return lambda inv, data: (
        None if inv.customer_id is None else getattr(data.customers[inv.customer_id], attr)
    )


def _venue_of(inv: Invoice, data: ProviderData) -> dict[str, Any] | None:
    if inv.customer_id is None:
        return None
    return _venue(data.customers[inv.customer_id].venue_id, data)


def _payment_part(inv: Invoice, data: ProviderData, part: str) -> int | None:
    return getattr(local(inv.paid_at, data.provider), part) if inv.paid_at else None


def _processor(inv: Invoice, _data: ProviderData) -> str | None:
    return PAYMENT_PROCESSORS.get(inv.payment_processor_id or 0)


def _month(day: date | datetime | None) -> str | None:
    return f"{day.month:02d}" if day else None


def _year(day: date | datetime | None) -> str | None:
    return str(day.year) if day else None


CUSTOMER_COLUMNS = (
    Column("customer.id", "Customer ID", lambda i, d: i.customer_id, holds_customer_id=True),
    Column("customer.name", "Customer Name", _customer_attr("name")),
    Column("customer.email", "Customer Email", _customer_attr("email")),
)
CUSTOMER_FIELDS = ("id", "name", "email")
VENUE_FIELDS = ("id", "name")
MONEY_KEYS = (
    "decimal",
    "string",
    "iso_currency_code",
    "currency_symbol",
    "currency_symbol_position",
)
CUSTOMER_ALIASES = {
    "customer_id": "customer.id",
    "customer_name": "customer.name",
    "customer_email": "customer.email",
}

# Grouped report. due_date_* and payout_* are strings and payment_* integers, as documented;
# months are zero-padded ("07"), an undocumented detail we chose. Derived months of
# timestamps (payment_*) are in the provider's timezone.
GROUPED_COLUMNS = {
    c.key: c
    for c in (
        Column("status", "Status", lambda i, d: i.status),
        *CUSTOMER_COLUMNS,
        Column(
            "customer",
            "Customer",
            lambda i, d: i.customer_id,
            _customer,
            holds_customer_id=True,
            fields=CUSTOMER_FIELDS,
        ),
        Column("purchase_type", "Purchase Type", lambda i, d: i.purchase_type),
        Column("payment_processor", "Payment Processor", _processor),
        Column("due_date_month", "Due Month", lambda i, d: _month(i.due_date)),
        Column("due_date_year", "Due Year", lambda i, d: _year(i.due_date)),
        Column("payment_month", "Payment Month", lambda i, d: _payment_part(i, d, "month")),
        Column("payment_year", "Payment Year", lambda i, d: _payment_part(i, d, "year")),
        Column("payout_month", "Payout Month", lambda i, d: _month(i.payout_date)),
        Column("payout_year", "Payout Year", lambda i, d: _year(i.payout_date)),
        Column(
            "purchased_item",
            "Purchased Item",
            lambda i, d: i.item_id,
            lambda item_id, d: {"id": item_id, "name": d.items[item_id].name},
            fields=("id", "name"),
        ),
        Column("purchase_fee_type", "Purchase Fee Type", lambda i, d: i.purchase_fee_type),
    )
}
COUNT = Column("count", "Count", lambda i, d: None)
GROUPED_ALIASES = CUSTOMER_ALIASES

MONEY_FIELDS = {
    "total_amount": "Total",
    "subtotal_amount": "Subtotal",
    "discount_amount": "Discount",
    "tax_amount": "Tax",
    "credit_amount": "Credit",
    "adjustment_amount": "Adjustment",
    "expected_payment_amount": "Expected Payment",
    "refund_amount": "Refund",
}
_MONEY_ATTRS = {
    "total_amount": "total",
    "subtotal_amount": "subtotal",
    "discount_amount": "discount",
    "tax_amount": "tax",
    "credit_amount": "credit",
    "adjustment_amount": "adjustment",
    "expected_payment_amount": "expected_payment",
    "refund_amount": "refund_amount",
}


def _money_column(key: str) -> Column:
    attr = _MONEY_ATTRS[key]
    return Column(key, MONEY_FIELDS[key], lambda i, d: getattr(i, attr), money, fields=MONEY_KEYS)


def _applied_credits(inv: Invoice, data: ProviderData) -> list[dict[str, Any]]:
    return [{"amount": {"decimal": f"{inv.credit:.2f}"}}] if inv.credit else []


def _charges(inv: Invoice, data: ProviderData) -> list[dict[str, Any]]:
    if inv.paid_at is None:
        return []
    moment = iso_datetime(inv.paid_at, data)
    amount = {"decimal": f"{inv.total:.2f}", "currency": data.provider.currency.code}
    return [{"created_at": moment, "amount": amount, "confirmed_at": moment}]


def _discount_attr(index: int) -> Callable[[Invoice, ProviderData], Any]:
    return lambda inv, data: inv.discount_code[index] if inv.discount_code else None


def _unsortable(key: str, label: str, extract: Callable, fields: tuple[str, ...] = ()) -> Column:
    return Column(key, label, extract, sortable=False, fields=fields)


INVOICE_COLUMNS = {
    c.key: c
    for c in (
        Column("id", "ID", lambda i, d: i.id, required=True),
        Column("due_date", "Due Date", lambda i, d: i.due_date, iso_date),
        Column("confirmed_at", "Confirmed At", lambda i, d: i.confirmed_at, iso_datetime),
        Column("paid_at", "Paid At", lambda i, d: i.paid_at, iso_datetime),
        Column("status", "Status", lambda i, d: i.status),
        Column("is_credit_note", "Credit Note", lambda i, d: i.is_credit_note),
        Column("refunded_invoice.id", "Refunded Invoice ID", lambda i, d: i.refunded_invoice_id),
        _unsortable(
            "refunded_invoice",
            "Refunded Invoice",
            lambda i, d: {"id": i.refunded_invoice_id} if i.refunded_invoice_id else None,
            ("id",),
        ),
        Column("number", "Number", lambda i, d: i.number),
        *CUSTOMER_COLUMNS,
        Column(
            "customer",
            "Customer",
            lambda i, d: _customer(i.customer_id, d, venue=True),
            sortable=False,
            holds_customer_id=True,
            fields=(*CUSTOMER_FIELDS, *(f"venue.{f}" for f in VENUE_FIELDS)),
        ),
        Column("customer.venue.id", "Venue ID", lambda i, d: (_venue_of(i, d) or {}).get("id")),
        _unsortable("customer.venue", "Venue", _venue_of, VENUE_FIELDS),
        Column(
            "customer.venue.name",
            "Venue Name",
            lambda i, d: (_venue_of(i, d) or {}).get("name"),
        ),
        *(_money_column(key) for key in MONEY_FIELDS),
        Column("refund_date", "Refund Date", lambda i, d: i.refund_date, iso_date),
        Column("discount_code.name", "Discount Code Name", _discount_attr(0)),
        _unsortable(
            "discount_code",
            "Discount Code",
            lambda i, d: (
                dict(zip(("name", "code"), i.discount_code, strict=True))
                if i.discount_code
                else None
            ),
            ("name", "code"),
        ),
        Column("discount_code.code", "Discount Code", _discount_attr(1)),
        Column("payment_processor", "Payment Processor", _processor),
        Column("purchase_type", "Purchase Type", lambda i, d: i.purchase_type),
        Column("purchase_items", "Purchase Items", lambda i, d: d.items[i.item_id].name),
        Column("payout", "Payout", lambda i, d: i.payout_id),
        _unsortable("applied_credits", "Applied Credits", _applied_credits),
        _unsortable("charges", "Charges", _charges),
        Column("updated_at", "Updated At", lambda i, d: i.updated_at, iso_datetime),
        _unsortable("legacy_mapping", "Legacy Mapping", lambda i, d: dict(i.legacy_mapping)),
    )
}
INVOICE_ALIASES = {
    **CUSTOMER_ALIASES,
    "refunded_invoice_id": "refunded_invoice.id",
    "customer_venue_id": "customer.venue.id",
    "customer_venue_name": "customer.venue.name",
    "discount_code_name": "discount_code.name",
}
