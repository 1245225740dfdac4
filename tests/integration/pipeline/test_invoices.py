"""The invoice-level table: every invoice, its money exact to the cent, its instants kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sandbox.generate import PROVIDERS
from sources.teamup.records.grouped import as_extract_values

MONEY = {
    "total_amount": "total",
    "subtotal_amount": "subtotal",
    "discount_amount": "discount",
    "tax_amount": "tax",
    "credit_amount": "credit",
    "adjustment_amount": "adjustment",
    "expected_payment_amount": "expected_payment",
    "refund_amount": "refund_amount",
}
PROCESSORS = {1: "Stripe", 2: "GoCardless", 3: "Cash", 4: "Bank transfer"}


def expected_rows(sandbox) -> dict[int, tuple]:
    currency = {p.id: p.currency.code for p in PROVIDERS}
    return {
        i.id: (
            i.status,
            i.due_date,
            i.customer_id,
            i.purchase_type,
            PROCESSORS.get(i.payment_processor_id),
            i.is_credit_note,
            i.refunded_invoice_id,
            i.refund_date,
            i.paid_at.astimezone(UTC) if i.paid_at else None,
            i.updated_at.astimezone(UTC),
            currency[i.provider_id],
            *(getattr(i, attr) for attr in MONEY.values()),
        )
        for i in sandbox.invoices()
    }


def loaded_rows(harness) -> dict[int, tuple]:
    rows = harness.query(
        "select id, status, due_date, customer_id, purchase_type, payment_processor, "
        "is_credit_note, refunded_invoice_id, refund_date, paid_at, updated_at, currency, "
        + ", ".join(MONEY)
        + " from teamup.invoices"
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_invoice_with_its_money_to_the_cent(harness):
    harness.load()
    assert loaded_rows(harness) == expected_rows(harness.sandbox)


def test_money_and_dates_reach_dlt_as_exact_text():
    paid = datetime(2026, 1, 31, 23, 59, 59, 123000, tzinfo=UTC)
    record = {
        "total_amount": Decimal("9999999999999999.99"),
        "tax_amount": Decimal("-0.10"),
        "due_date": date(2026, 1, 31),
        "paid_at": paid,
        "refund_date": None,
        "id": 7,
    }
    assert as_extract_values(record) == {
        "total_amount": "9999999999999999.99",
        "tax_amount": "-0.10",
        "due_date": "2026-01-31",
        "paid_at": paid,  # timestamps stay datetimes (see as_extract_values)
        "refund_date": None,
        "id": 7,
    }


def test_money_columns_are_decimal_18_2(harness):
    harness.load()
    types = dict(
        harness.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'teamup' and table_name = 'invoices'"
        )
    )
    assert {types[column] for column in MONEY} == {"DECIMAL(18,2)"}
    assert types["paid_at"] == "TIMESTAMP WITH TIME ZONE"
    # money and dates reach dlt as text (normalize.as_extract_values): typed, no variants
    assert types["due_date"] == types["due_month"] == types["refund_date"] == "DATE"
    assert [column for column in types if "__v_" in column] == []


def test_amounts_too_long_for_a_float_arrive_exact(harness):
    """A float keeps ~16 digits: 9999999999999999.99 would come back as ...9998.0 or so."""
    huge = Decimal("9999999999999999.99")

    def bump(page: dict) -> dict:
        for row in page["rows"]:
            row["total_amount"]["decimal"] = huge
        return page

    harness.sandbox.faults.tamper(bump, when=lambda r: r.endpoint == "invoices", times=None)
    harness.load()
    totals = {
        total for (total,) in harness.query("select distinct total_amount from teamup.invoices")
    }
    assert totals == {huge}


def test_invoices_follow_changes_deletions_and_refunds(harness):
    harness.load()
    harness.later()
    paid = [i for i in harness.sandbox.invoices() if i.status == "paid" and not i.is_credit_note]
    note = harness.sandbox.refund(paid[0].id, Decimal("12.34"))
    harness.sandbox.delete_invoice(paid[1].id)
    harness.sandbox.move_due_date(
        paid[2].id, paid[2].due_date.replace(year=paid[2].due_date.year - 1)
    )
    harness.later()
    harness.load()
    loaded = loaded_rows(harness)
    assert loaded == expected_rows(harness.sandbox)
    assert loaded[note.id][-8] == Decimal("-12.34")  # the credit note's total
    assert paid[1].id not in loaded
    harness.assert_exact()


def test_a_deleted_invoice_is_found_without_refetching_its_month(make_harness):
    harness = make_harness(invoices=8000)
    harness.settled()
    victim = next(i for i in harness.sandbox.invoices() if i.status == "upcoming")
    harness.sandbox.delete_invoice(victim.id)
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    assert harness.invoice_month_refetches() == []
    assert victim.id not in {i for (i,) in harness.query("select id from teamup.invoices")}
    harness.assert_exact()
