"""Test hooks: each changes the data as TeamUp would, stamps updated_at, and shows over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest

from sandbox import Sandbox
from sandbox.clock import to_millis
from sandbox.model import Invoice
from tests.support import TEST_NOW

from .helpers import GROUPED, INVOICES, PROCESSORS, Api, total_of, z

LATER = TEST_NOW + timedelta(days=1, hours=3, milliseconds=250)


@pytest.fixture
def later(sandbox: Sandbox) -> Sandbox:
    """A sandbox whose clock is past every generated timestamp."""
    sandbox.clock.set(LATER)
    return sandbox


def touched(api: Api, since: datetime) -> set[int]:
    rows = api.all_rows(INVOICES, {"updated_at_gte": z(since), "columns": "id"})
    return {row["id"] for row in rows}


def row_of(api: Api, invoice_id: int) -> dict:
    [row] = api.data(INVOICES, {"id_gt": invoice_id - 1, "limit": 1, "sort": "id"})["rows"]
    assert row["id"] == invoice_id
    return row


def first(sandbox: Sandbox, status: str, **attrs) -> Invoice:
    return next(
        inv
        for inv in sandbox.invoices()
        if inv.status == status
        and not inv.is_credit_note
        and all(getattr(inv, k) == v for k, v in attrs.items())
    )


def test_nothing_is_touched_before_a_hook(later: Sandbox, fresh_api: Api) -> None:
    assert touched(fresh_api, LATER - timedelta(hours=3)) == set()


def test_clock_set_and_advance(sandbox: Sandbox) -> None:
    assert sandbox.clock.now() == TEST_NOW
    moved = sandbox.clock.advance(days=2, hours=1)
    assert moved == sandbox.clock.now() == TEST_NOW + timedelta(days=2, hours=1)
    sandbox.clock.set(datetime(2027, 1, 1, 12, 0, 0, 123456, tzinfo=UTC))
    assert sandbox.clock.now() == datetime(2027, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    with pytest.raises(ValueError):
        sandbox.clock.set(datetime(2027, 1, 1))


def test_the_clock_drives_timeframes(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    expected = sorted(
        inv.id for inv in sandbox.invoices() if inv.due_date.strftime("%Y-%m") == "2026-11"
    )
    rows = fresh_api.all_rows(INVOICES, {"due_date_timeframe": "last_month", "columns": "id"})
    assert sorted(row["id"] for row in rows) == expected


@pytest.mark.parametrize("processor", [1, 2, 3, 4], ids=PROCESSORS.get)
def test_pay(later: Sandbox, fresh_api: Api, processor: int) -> None:
    invoice = first(later, "open")
    later.pay(invoice.id, processor_id=processor)
    assert touched(fresh_api, LATER) == {invoice.id}
    row = row_of(fresh_api, invoice.id)
    assert row["status"] == "paid"
    assert datetime.fromisoformat(row["paid_at"]) == LATER
    assert datetime.fromisoformat(row["updated_at"]) == LATER
    assert row["payment_processor"] == PROCESSORS[processor]
    assert (row["payout"] is not None) == (processor in (1, 2))
    [charge] = row["charges"]
    assert Decimal(charge["amount"]["decimal"]) == total_of(invoice)
    grouped = fresh_api.data(
        GROUPED,
        {"updated_at_gte": z(LATER), "columns": "status,payment_processor,payment_month,count"},
    )
    assert grouped["rows"] == [
        {
            "status": "paid",
            "payment_processor": PROCESSORS[processor],
            "payment_month": 11,
            "count": "1",
        }
    ]


@pytest.mark.parametrize("status", ["voided", "failed", "open", "retrying", "upcoming"])
def test_set_status_takes_the_payment_away(later: Sandbox, fresh_api: Api, status: str) -> None:
    invoice = first(later, "paid", refund_amount=Decimal("0.00"))
    later.set_status(invoice.id, status)
    assert touched(fresh_api, LATER) == {invoice.id}
    row = row_of(fresh_api, invoice.id)
    assert row["status"] == status
    assert row["paid_at"] is None and row["payment_processor"] is None and row["payout"] is None
    assert datetime.fromisoformat(row["updated_at"]) == LATER
    rows = fresh_api.data(
        GROUPED, {"updated_at_gte": z(LATER), "columns": "payment_month,payout_year,count"}
    )["rows"]
    assert rows == [{"payment_month": None, "payout_year": None, "count": "1"}]


def test_set_status_paid_pays(later: Sandbox, fresh_api: Api) -> None:
    invoice = first(later, "failed")
    later.set_status(invoice.id, "paid")
    row = row_of(fresh_api, invoice.id)
    assert row["status"] == "paid" and datetime.fromisoformat(row["paid_at"]) == LATER


@pytest.mark.parametrize("status", ["open", "paid", "upcoming"])
def test_add_invoice(later: Sandbox, fresh_api: Api, status: str) -> None:
    customer = later.customers()[2]  # 李雷
    item = next(i for i in later.store.provider_data(1).items.values() if i.name == "T-shirt")
    before = fresh_api.data(GROUPED, {"columns": "count"})["rows"][0]["count"]
    new = later.add_invoice(customer.id, item.id, date(2026, 12, 3), status=status)
    assert new.id > max(inv.id for inv in later.invoices() if inv.id != new.id)
    assert touched(fresh_api, LATER) == {new.id}
    row = row_of(fresh_api, new.id)
    assert row["status"] == status
    assert row["due_date"] == "2026-12-03"
    assert row["customer"]["name"] == "李雷"
    assert row["purchase_items"] == "T-shirt" and row["purchase_type"] == "store"
    assert Decimal(row["subtotal_amount"]["decimal"]) == Decimal("24.99")
    assert datetime.fromisoformat(row["updated_at"]) == LATER
    assert (row["paid_at"] is not None) == (status == "paid")
    after = fresh_api.data(GROUPED, {"columns": "count"})["rows"][0]["count"]
    assert int(after) == int(before) + 1


def test_delete_invoice(later: Sandbox, fresh_api: Api) -> None:
    invoice = first(later, "voided")
    total = fresh_api.data(INVOICES, {"limit": 0})["total"]
    later.delete_invoice(invoice.id)
    assert fresh_api.data(INVOICES, {"limit": 0})["total"] == total - 1
    ids = {row["id"] for row in fresh_api.all_rows(INVOICES, {"columns": "id"})}
    assert invoice.id not in ids
    assert invoice.id not in {inv.id for inv in later.invoices()}
    counts = fresh_api.data(GROUPED, {"columns": "count", "status": "voided"})["rows"]
    assert int(counts[0]["count"]) == sum(1 for i in later.invoices() if i.status == "voided")


def test_move_due_date(later: Sandbox, fresh_api: Api) -> None:
    invoice = first(later, "open")
    later.move_due_date(invoice.id, date(2030, 2, 28))
    assert touched(fresh_api, LATER) == {invoice.id}
    assert row_of(fresh_api, invoice.id)["due_date"] == "2030-02-28"
    found = fresh_api.data(INVOICES, {"due_date_gte": "2030-02-28", "columns": "id"})["rows"]
    assert found == [{"id": invoice.id}]
    rows = fresh_api.data(GROUPED, {"due_date_gte": "2030-01-01", "columns": "due_date_month"})
    assert rows["rows"] == [{"due_date_month": "02"}]


@pytest.mark.parametrize("amount", [None, Decimal("10.00")], ids=["full", "partial"])
def test_refund(later: Sandbox, fresh_api: Api, amount: Decimal | None) -> None:
    invoice = first(later, "paid", refund_amount=Decimal("0.00"), payment_processor_id=1)
    refunded = total_of(invoice) if amount is None else amount
    note = later.refund(invoice.id, amount)
    assert touched(fresh_api, LATER) == {invoice.id, note.id}
    original = row_of(fresh_api, invoice.id)
    assert Decimal(original["refund_amount"]["decimal"]) == refunded
    assert original["refund_date"] == LATER.date().isoformat()
    credit = row_of(fresh_api, note.id)
    assert credit["is_credit_note"] is True
    assert credit["refunded_invoice"]["id"] == invoice.id
    assert Decimal(credit["total_amount"]["decimal"]) == -refunded
    assert credit["total_amount"]["string"] == f"-£{refunded:,.2f}"
    assert credit["payment_processor"] == "Stripe"
    assert credit["payout"] is not None  # Stripe pays refunds out like payments
    assert datetime.fromisoformat(credit["paid_at"]) == LATER


def test_refund_of_an_unpaid_invoice_is_refused(later: Sandbox) -> None:
    with pytest.raises(ValueError):
        later.refund(first(later, "open").id)


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ('Zoë d\'Arc, "Jr"', "zoe@example.fr"),
        ("Ünïcødé 名前", None),
    ],
    ids=["quotes-and-comma", "unicode-no-email"],
)
def test_rename_customer(later: Sandbox, fresh_api: Api, name: str, email: str | None) -> None:
    customer = later.customers()[10]
    theirs = {inv.id for inv in later.invoices() if inv.customer_id == customer.id}
    assert theirs
    later.rename_customer(customer.id, name, email)
    assert touched(fresh_api, LATER) == theirs
    rows = fresh_api.data(GROUPED, {"customers": customer.id, "columns": "customer,count"})["rows"]
    assert rows == [
        {"customer": {"id": customer.id, "name": name, "email": email}, "count": str(len(theirs))}
    ]


def test_rename_keeps_the_email_unless_given(later: Sandbox, fresh_api: Api) -> None:
    customer = later.customers()[0]
    later.rename_customer(customer.id, "Zoë Faure-Martin")
    rows = fresh_api.data(GROUPED, {"customers": customer.id, "columns": "customer"})["rows"]
    assert rows == [
        {"customer": {"id": customer.id, "name": "Zoë Faure-Martin", "email": customer.email}}
    ]


def test_hooks_at_different_times(later: Sandbox, fresh_api: Api) -> None:
    a, b = [inv.id for inv in later.invoices() if inv.status == "open"][:2]
    later.pay(a)
    t1 = later.clock.advance(minutes=5)
    later.move_due_date(b, date(2026, 12, 24))
    assert touched(fresh_api, LATER) == {a, b}
    assert touched(fresh_api, t1) == {b}
    up_to = fresh_api.all_rows(
        INVOICES,
        {"updated_at_gte": z(LATER), "updated_at_lte": z(t1 - timedelta(milliseconds=1))},
    )
    assert [row["id"] for row in up_to] == [a]


@pytest.mark.parametrize(
    ("hook", "args", "error"),
    [
        ("pay", (10**9,), KeyError),
        ("pay", (1, 9), ValueError),
        ("set_status", (1, "lost"), ValueError),
        ("delete_invoice", (10**9,), KeyError),
        ("move_due_date", (10**9, date(2026, 1, 1)), KeyError),
        ("rename_customer", (1, "Nobody"), KeyError),
    ],
)
def test_hooks_refuse_what_does_not_exist(sandbox: Sandbox, hook: str, args, error) -> None:
    version = sandbox.store.version
    with pytest.raises(error):
        getattr(sandbox, hook)(*args)
    assert sandbox.store.version == version


def test_date_header_tells_the_sandbox_clock(sandbox: Sandbox, fresh_api: Api) -> None:
    response = fresh_api.get(GROUPED, {"columns": "count"})
    assert parsedate_to_datetime(response.headers["Date"]) == TEST_NOW
    sandbox.clock.advance(days=3, seconds=7)
    response = fresh_api.get(GROUPED, {"columns": "count"})
    assert parsedate_to_datetime(response.headers["Date"]) == TEST_NOW + timedelta(
        days=3, seconds=7
    )


def test_a_clock_started_in_another_zone(make_sandbox) -> None:
    start = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    sandbox = make_sandbox(now=start, invoices=200)
    assert sandbox.clock.now() == start and sandbox.clock.now().utcoffset() == timedelta(0)
    response = Api(sandbox).get(GROUPED, {"columns": "count"})
    assert response.status_code == 200
    assert parsedate_to_datetime(response.headers["Date"]) == start
    with pytest.raises(ValueError):
        make_sandbox(now=datetime(2026, 7, 1, 12, 0))


def test_a_clock_given_no_date_runs_with_the_machines(make_sandbox) -> None:
    """The demo's and the probe's sandboxes: TeamUp's Date header keeps up with the local time."""
    before = to_millis(datetime.now(UTC))
    sandbox = make_sandbox(now=None, invoices=200)
    response = Api(sandbox).get(GROUPED, {"columns": "count"})
    after = datetime.now(UTC)
    header = parsedate_to_datetime(response.headers["Date"])  # whole seconds
    assert before.replace(microsecond=0) <= header <= after
    assert before <= sandbox.clock.now() <= after
    time.sleep(0.002)  # the machine's clock moves on (no bound on how far) ...
    assert sandbox.clock.now() > after  # ... and the sandbox's with it
    start = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    before = datetime.now(UTC)
    sandbox.clock.set(start)
    moved = sandbox.clock.advance(days=1)
    first, second = sandbox.clock.now(), sandbox.clock.now()
    ran = datetime.now(UTC) - before  # as far as it may have run since it was set
    assert start + timedelta(days=1) <= moved <= first <= second <= start + timedelta(days=1) + ran
