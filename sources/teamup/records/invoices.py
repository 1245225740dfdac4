"""Invoice-level rows to invoices records: money exact to the cent, instants in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..api.pages import row_reference
from ..exactness.partitions import partition_key
from ..exceptions import MalformedResponseError
from ..settings import INVOICES_ENDPOINT

MONEY_COLUMNS = (
    "total_amount",
    "subtotal_amount",
    "discount_amount",
    "tax_amount",
    "credit_amount",
    "adjustment_amount",
    "expected_payment_amount",
    "refund_amount",
)
CENT = Decimal("0.01")


def _bad_invoice(message: str, row: Mapping[str, Any]) -> MalformedResponseError:
    shown = row_reference(row, ("id", "number", "due_date", "status", "customer.id"))
    return MalformedResponseError(f"{message} in row {shown}", endpoint=INVOICES_ENDPOINT)


@lru_cache(maxsize=4096)
def _whole_cents(amount: Decimal) -> Decimal | None:
    """The amount to the cent, or None when it is not a whole number of cents (or not finite).
    Cached: an account bills the same few prices over and over, and quantize is not cheap."""
    try:
        cents = amount.quantize(CENT)
    except ArithmeticError:
        return None
    return cents if cents == amount else None


def money(value: Any, column: str, row: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    """(amount, currency) of a money object. The page was parsed with Decimal numbers, so no
    float is ever involved; a numeric string is accepted as the same number."""
    if type(value) is dict:  # the usual case, as directly as it goes: 8 per invoice
        amount = value.get("decimal")
        if type(amount) is Decimal and (cents := _whole_cents(amount)) is not None:
            return cents, value.get("iso_currency_code")
    elif value is None:
        return None, None
    amount = value.get("decimal") if isinstance(value, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise _bad_invoice(f"`{column}.decimal` is not a number ({amount!r})", row)
    try:
        exact = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
        cents = exact.quantize(CENT)
    except (ArithmeticError, ValueError):
        raise _bad_invoice(f"`{column}.decimal` is not a number ({amount!r})", row) from None
    if cents != exact:
        raise _bad_invoice(f"`{column}` has fractions of a cent ({amount})", row)
    return cents, value.get("iso_currency_code")


def _timestamp(value: Any, column: str, row: Mapping[str, Any]) -> datetime | None:
    """An instant, whatever offset the API wrote it with."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad_invoice(f"`{column}` is not a date-time ({value!r})", row) from None
    if moment.tzinfo is None:
        raise _bad_invoice(f"`{column}` has no zone ({value!r})", row)
    # fromisoformat gives UTC itself for +00:00 and Z, the API's usual offset
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _date(value: Any, column: str, row: Mapping[str, Any]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _bad_invoice(f"`{column}` is not a date ({value!r})", row) from None


def invoice_record(row: Mapping[str, Any], provider_id: int) -> dict[str, Any]:
    """One invoices record: money as DECIMAL(18,2) with one currency, instants in UTC."""
    if type(row.get("id")) is not int:
        raise _bad_invoice("the invoice has no integer `id`", row)
    # Rows are parsed JSON: objects are dicts (isinstance on Mapping costs an ABC check)
    customer = found if isinstance(found := row.get("customer"), dict) else {}
    refunded = found if isinstance(found := row.get("refunded_invoice"), dict) else {}
    due = _date(row.get("due_date"), "due_date", row)
    if due is None:
        raise _bad_invoice("the invoice has no `due_date`", row)
    record: dict[str, Any] = {
        "provider_id": provider_id,
        "id": row["id"],
        "number": row.get("number"),
        "status": row.get("status"),
        "due_date": due,
        "due_month": due.replace(day=1),
        "confirmed_at": _timestamp(row.get("confirmed_at"), "confirmed_at", row),
        "paid_at": _timestamp(row.get("paid_at"), "paid_at", row),
        "updated_at": _timestamp(row.get("updated_at"), "updated_at", row),
        "is_credit_note": row.get("is_credit_note"),
        "refunded_invoice_id": refunded.get("id"),
        "customer_id": customer.get("id"),
        "purchase_type": row.get("purchase_type"),
        "payment_processor": row.get("payment_processor"),
        "refund_date": _date(row.get("refund_date"), "refund_date", row),
    }
    currencies = set()
    for column in MONEY_COLUMNS:
        if column not in row:
            raise _bad_invoice(f"the requested column `{column}` is missing", row)
        record[column], currency = money(row[column], column, row)
        if currency:
            currencies.add(currency)
    if len(currencies) > 1:
        raise _bad_invoice(f"one invoice in several currencies ({sorted(currencies)})", row)
    record["currency"] = currencies.pop() if currencies else None
    customer_id = customer.get("id")
    record["partition_key"] = partition_key(provider_id, record["due_month"], customer_id)
    return record
