"""The generated data: deterministic, realistic in shape, and awkward where it should be."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from sandbox import Sandbox
from tests.support import TEST_NOW

from .helpers import GROUPED, INVOICES, Api, snapshot, total_of

AWKWARD_NAMES = (
    "Zoë Faure",
    "José Ñúñez",
    "李雷",
    "Siobhán O'Brien",
    "Smith, John",
    'Robert "Bobby" Tables',
)


def _dump(sandbox: Sandbox) -> tuple[list[dict], list[dict]]:
    return [vars(i) for i in sandbox.invoices()], [vars(c) for c in sandbox.customers()]


def test_same_seed_same_data(make_sandbox: Callable[..., Sandbox]) -> None:
    one, two = make_sandbox(seed=7), make_sandbox(seed=7)
    assert _dump(one) == _dump(two)
    params = {"columns": "customer,purchased_item,payment_month,count", "format": "json"}
    assert Api(one).data(GROUPED, params) == Api(two).data(GROUPED, params)
    assert (
        Api(one).get(INVOICES, {"limit": 100}).text == Api(two).get(INVOICES, {"limit": 100}).text
    )


def test_other_seed_other_data(make_sandbox: Callable[..., Sandbox]) -> None:
    one, two = make_sandbox(seed=1), make_sandbox(seed=2)
    assert _dump(one) != _dump(two)
    assert [i.due_date for i in one.invoices()] != [i.due_date for i in two.invoices()]


def test_invoice_count(reader: Sandbox) -> None:
    invoices = snapshot(reader)
    assert len(invoices) == 1500
    assert len({i.id for i in invoices}) == len({i.number for i in invoices}) == 1500


def test_about_three_years_up_to_today(reader: Sandbox) -> None:
    invoices = snapshot(reader)
    today = TEST_NOW.date()
    first_due = min(i.due_date for i in invoices)
    assert today - timedelta(days=3 * 366) <= first_due <= today - timedelta(days=3 * 365 - 60)
    assert today < max(i.due_date for i in invoices) <= today + timedelta(days=32)
    assert all(i.due_date > today for i in invoices if i.status == "upcoming")
    for inv in invoices:
        for stamp in (inv.confirmed_at, inv.paid_at, inv.updated_at):
            assert stamp is None or stamp <= TEST_NOW
        assert inv.paid_at is None or inv.confirmed_at <= inv.paid_at <= inv.updated_at
    per_year = Counter(i.due_date.year for i in invoices)
    assert all(per_year[year] > len(invoices) / 10 for year in (2024, 2025, 2026))


def test_mostly_paid(reader: Sandbox) -> None:
    statuses = Counter(i.status for i in snapshot(reader))
    assert statuses["paid"] > 0.75 * sum(statuses.values())
    assert len(statuses) >= 6


def test_every_status_at_twenty_thousand(make_sandbox: Callable[..., Sandbox]) -> None:
    big = make_sandbox(invoices=20_000)
    body = Api(big).data(GROUPED, {"columns": "status,count"})
    counts = {row["status"]: int(row["count"]) for row in body["rows"]}
    assert sum(counts.values()) == 20_000
    assert counts == Counter(i.status for i in big.invoices())
    for status in ("open", "failed", "voided", "upcoming", "retrying", "paid"):
        assert counts.get(status, 0) > 0, status


def test_credit_notes_and_refunds(reader: Sandbox) -> None:
    invoices = {i.id: i for i in snapshot(reader)}
    notes = [i for i in invoices.values() if i.is_credit_note]
    assert notes
    refunded: dict[int, Decimal] = defaultdict(Decimal)
    for note in notes:
        original = invoices[note.refunded_invoice_id]
        assert original.status == "paid" and not original.is_credit_note
        assert note.customer_id == original.customer_id
        assert total_of(note) < 0
        refunded[original.id] -= total_of(note)
    for inv in invoices.values():
        assert inv.refund_amount == refunded.get(inv.id, Decimal(0))
        assert (inv.refund_date is not None) == (inv.refund_amount > 0)
    assert any(total_of(invoices[i]) > amount for i, amount in refunded.items())  # partial ones


def test_processors_on_paid_invoices_only(reader: Sandbox) -> None:
    invoices = snapshot(reader)
    processors = Counter(i.payment_processor_id for i in invoices if i.status == "paid")
    assert None not in processors
    assert set(processors) == {1, 2, 3, 4}
    for inv in invoices:
        if inv.status != "paid":
            assert inv.payment_processor_id is None and inv.paid_at is None
            assert inv.payout_date is None


def test_memberships_dominate_paid_revenue(api: Api) -> None:
    paid = api.all_rows(INVOICES, {"status": "paid", "columns": "purchase_type,total_amount"})
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for row in paid:
        revenue[row["purchase_type"]] += Decimal(row["total_amount"]["decimal"])
    assert set(revenue) == {"membership", "class", "course", "course_session", "store"}
    assert revenue["membership"] > sum(revenue.values()) / 2


def test_discounts_credits_and_taxes_exist(reader: Sandbox) -> None:
    invoices = snapshot(reader)
    assert any(i.discount > 0 and i.discount_code for i in invoices)
    assert any(i.credit > 0 for i in invoices)
    assert all(
        (i.tax > 0) == (i.purchase_type == "store" and not i.is_credit_note) for i in invoices
    )


def test_awkward_names_are_present(reader: Sandbox) -> None:
    customers = reader.customers()
    names = {c.name for c in customers}
    for name in AWKWARD_NAMES:
        assert name in names
    assert any(c.email is None for c in customers)
    assert any("'" in (c.email or "") for c in customers)


def test_awkward_names_come_back_intact_through_json(api: Api, reader: Sandbox) -> None:
    rows = api.all_rows(GROUPED, {"columns": "customer,count"})
    by_name = {row["customer"]["name"]: row["customer"] for row in rows}
    customers = {c.name: c for c in reader.customers()}
    for name in AWKWARD_NAMES:
        assert by_name[name] == {
            "id": customers[name].id,
            "name": name,
            "email": customers[name].email,
        }
    assert any(customer["email"] is None for customer in by_name.values())
    raw = api.get(GROUPED, {"columns": "customer_name", "format": "json", "limit": 100})
    assert "李雷" in raw.content.decode("utf-8")  # UTF-8 on the wire, not only \\u escapes
