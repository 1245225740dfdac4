"""Every documented filter against an independent computation over the snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sandbox import Sandbox
from sandbox.model import Invoice

from .helpers import GROUPED, INVOICES, LONDON, PROCESSORS, Api, local_date, snapshot

Predicate = Callable[[Invoice], bool]


def check(api: Api, reader: Sandbox, params, keep: Predicate) -> list[int]:
    """Both reports under `params` select exactly the invoices `keep` accepts."""
    expected = sorted(inv.id for inv in snapshot(reader) if keep(inv))
    rows = api.all_rows(INVOICES, [*_items(params), ("columns", "id"), ("sort", "id")])
    assert [row["id"] for row in rows] == expected
    grouped = api.data(GROUPED, [*_items(params), ("columns", "count")])
    assert sum(int(row["count"]) for row in grouped["rows"]) == len(expected)
    return expected


def _items(params) -> list[tuple[str, object]]:
    return list(params.items()) if isinstance(params, dict) else list(params)


def _boundary(reader: Sandbox, field: str) -> datetime:
    """A real value of `field`, from the middle of the data."""
    values = sorted(getattr(inv, field) for inv in snapshot(reader) if getattr(inv, field))
    return values[len(values) // 2]


ZONES = {
    "Z": UTC,
    "+02:00": timezone(timedelta(hours=2)),
    "-05:00": timezone(timedelta(hours=-5)),
    "+05:30": timezone(timedelta(hours=5, minutes=30)),
}


def _written(moment: datetime, zone: str) -> str:
    text = moment.astimezone(ZONES[zone]).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("field", "zone"),
    [
        ("updated_at", "Z"),
        ("updated_at", "+02:00"),
        ("confirmed_at", "Z"),
        ("confirmed_at", "-05:00"),
        ("paid_at", "Z"),
        ("paid_at", "+02:00"),
        ("paid_at", "+05:30"),
    ],
)
def test_datetime_range_is_inclusive_at_both_ends(
    api: Api, reader: Sandbox, field: str, zone: str
) -> None:
    edge = _boundary(reader, field)
    text = _written(edge, zone)
    assert text.endswith(zone)

    def value(inv: Invoice) -> datetime | None:
        return getattr(inv, field)

    after = check(api, reader, {f"{field}_gte": text}, lambda i: value(i) and value(i) >= edge)
    before = check(api, reader, {f"{field}_lte": text}, lambda i: value(i) and value(i) <= edge)
    exact = check(
        api,
        reader,
        {f"{field}_gte": text, f"{field}_lte": text},
        lambda i: value(i) == edge,
    )
    assert exact and set(exact) == set(after) & set(before)
    assert len(after) + len(before) - len(exact) == sum(1 for i in snapshot(reader) if value(i))


@pytest.mark.parametrize("field", ["updated_at", "confirmed_at", "paid_at"])
def test_one_millisecond_past_the_boundary_excludes_it(
    api: Api, reader: Sandbox, field: str
) -> None:
    edge = _boundary(reader, field)
    later = _written(edge + timedelta(milliseconds=1), "Z")
    earlier = _written(edge - timedelta(milliseconds=1), "+02:00")
    on_edge = {inv.id for inv in snapshot(reader) if getattr(inv, field) == edge}
    after = check(
        api,
        reader,
        {f"{field}_gte": later},
        lambda i: getattr(i, field) and getattr(i, field) > edge,
    )
    before = check(
        api,
        reader,
        {f"{field}_lte": earlier},
        lambda i: getattr(i, field) and getattr(i, field) < edge,
    )
    assert not on_edge & (set(after) | set(before))


def test_a_datetime_window_over_a_month(api: Api, reader: Sandbox) -> None:
    low = datetime(2025, 7, 1, tzinfo=LONDON)  # +01:00
    high = datetime(2025, 7, 31, 23, 59, 59, 999000, tzinfo=LONDON)
    params = {"paid_at_gte": low.isoformat(), "paid_at_lte": high.isoformat()}
    assert "+01:00" in params["paid_at_gte"]
    paid = check(api, reader, params, lambda i: i.paid_at and low <= i.paid_at <= high)
    assert paid


def test_due_date_range_is_inclusive(api: Api, reader: Sandbox) -> None:
    dues = sorted(inv.due_date for inv in snapshot(reader))
    first, last = dues[len(dues) // 3], dues[2 * len(dues) // 3]
    params = {"due_date_gte": first.isoformat(), "due_date_lte": last.isoformat()}
    found = check(api, reader, params, lambda i: first <= i.due_date <= last)
    on_edges = [i.id for i in snapshot(reader) if i.due_date in (first, last)]
    assert on_edges and set(on_edges) <= set(found)
    check(api, reader, {"due_date_gte": last.isoformat()}, lambda i: i.due_date >= last)
    check(api, reader, {"due_date_lte": first.isoformat()}, lambda i: i.due_date <= first)
    one_day = {"due_date_gte": first.isoformat(), "due_date_lte": first.isoformat()}
    assert check(api, reader, one_day, lambda i: i.due_date == first)


@pytest.mark.parametrize(
    "status",
    [
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
    ],
)
def test_status(api: Api, reader: Sandbox, status: str) -> None:
    check(api, reader, {"status": status}, lambda i: i.status == status)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param([("purchase_types", "membership")], id="membership"),
        pytest.param([("purchase_types", "class")], id="class"),
        pytest.param([("purchase_types", "course")], id="course"),
        pytest.param([("purchase_types", "course_session")], id="course_session"),
        pytest.param([("purchase_types", "store")], id="store"),
        pytest.param([("purchase_types", "class,store")], id="comma-separated"),
        pytest.param([("purchase_types", "class"), ("purchase_types", "store")], id="repeated"),
    ],
)
def test_purchase_types(api: Api, reader: Sandbox, params: list) -> None:
    wanted = {kind for _, value in params for kind in value.split(",")}
    assert check(api, reader, params, lambda i: i.purchase_type in wanted)


@pytest.mark.parametrize(
    "picks", [pytest.param([0], id="one"), pytest.param([0, 4, 5], id="several")]
)
def test_customers(api: Api, reader: Sandbox, picks: list[int]) -> None:
    customers = sorted({inv.customer_id for inv in snapshot(reader)})
    wanted = {customers[n] for n in picks}
    params = {"customers": ",".join(map(str, sorted(wanted)))}
    assert check(api, reader, params, lambda i: i.customer_id in wanted)


@pytest.mark.parametrize(
    "processors",
    [
        pytest.param("1", id="stripe"),
        pytest.param("2", id="gocardless"),
        pytest.param("3", id="cash"),
        pytest.param("4", id="bank-transfer"),
        pytest.param("1,2", id="stripe-and-gocardless"),
    ],
)
def test_payment_processors(api: Api, reader: Sandbox, processors: str) -> None:
    wanted = {int(p) for p in processors.split(",")}
    params = {"payment_processors": processors}
    assert check(api, reader, params, lambda i: i.payment_processor_id in wanted)
    rows = api.all_rows(GROUPED, {**params, "columns": "payment_processor,count"})
    assert {row["payment_processor"] for row in rows} == {PROCESSORS[p] for p in wanted}


@pytest.mark.parametrize("value", ["true", "false"])
def test_credit_applied(api: Api, reader: Sandbox, value: str) -> None:
    applied = value == "true"
    assert check(api, reader, {"credit_applied": value}, lambda i: (i.credit > 0) == applied)


@pytest.mark.parametrize("value", ["true", "false"])
def test_discount_applied(api: Api, reader: Sandbox, value: str) -> None:
    applied = value == "true"
    assert check(api, reader, {"discount_applied": value}, lambda i: (i.discount > 0) == applied)


@pytest.mark.parametrize("threshold", [0, 1, 1000, 10**6])
def test_id_gt(api: Api, reader: Sandbox, threshold: int) -> None:
    check(api, reader, {"id_gt": threshold}, lambda i: i.id > threshold)


def test_customer_memberships(api: Api, reader: Sandbox) -> None:
    memberships = sorted(
        {i.customer_membership_id for i in snapshot(reader) if i.customer_membership_id}
    )
    wanted = {memberships[0], memberships[len(memberships) // 2]}
    params = [("customer_memberships", m) for m in sorted(wanted)]
    found = check(api, reader, params, lambda i: i.customer_membership_id in wanted)
    assert len(found) >= 2


# Calendar ranges at the tests' clock, Wednesday 2026-11-25 (weeks start on Monday).
TIMEFRAMES = {
    "today": (date(2026, 11, 25), date(2026, 11, 25)),
    "yesterday": (date(2026, 11, 24), date(2026, 11, 24)),
    "this_week": (date(2026, 11, 23), date(2026, 11, 29)),
    "last_week": (date(2026, 11, 16), date(2026, 11, 22)),
    "this_month": (date(2026, 11, 1), date(2026, 11, 30)),
    "last_month": (date(2026, 10, 1), date(2026, 10, 31)),
    "this_year": (date(2026, 1, 1), date(2026, 12, 31)),
    "last_year": (date(2025, 1, 1), date(2025, 12, 31)),
}


@pytest.mark.parametrize("timeframe", list(TIMEFRAMES))
def test_due_date_timeframe(api: Api, reader: Sandbox, timeframe: str) -> None:
    first, last = TIMEFRAMES[timeframe]
    check(api, reader, {"due_date_timeframe": timeframe}, lambda i: first <= i.due_date <= last)


@pytest.mark.parametrize("timeframe", list(TIMEFRAMES))
def test_paid_at_timeframe(api: Api, reader: Sandbox, timeframe: str) -> None:
    first, last = TIMEFRAMES[timeframe]
    # the studio's calendar: the day an invoice was paid in London
    check(
        api,
        reader,
        {"paid_at_timeframe": timeframe},
        lambda i: i.paid_at is not None and first <= local_date(i.paid_at) <= last,
    )


def test_timeframe_narrows_an_explicit_range(api: Api, reader: Sandbox) -> None:
    params = {"due_date_timeframe": "last_year", "due_date_gte": "2025-06-01"}
    check(api, reader, params, lambda i: date(2025, 6, 1) <= i.due_date <= date(2025, 12, 31))


def test_filters_combine(api: Api, reader: Sandbox) -> None:
    params = [
        ("status", "paid"),
        ("purchase_types", "membership"),
        ("payment_processors", "2"),
        ("due_date_gte", "2025-01-01"),
        ("paid_at_lte", "2026-06-30T23:59:59.999+01:00"),
        ("discount_applied", "false"),
    ]
    edge = datetime(2026, 6, 30, 22, 59, 59, 999000, tzinfo=UTC)
    assert check(
        api,
        reader,
        params,
        lambda i: (
            i.status == "paid"
            and i.purchase_type == "membership"
            and i.payment_processor_id == 2
            and i.due_date >= date(2025, 1, 1)
            and i.paid_at <= edge
            and i.discount == 0
        ),
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"updated_at_gte": "2025-07-29T15:51:28"}, "updated_at_gte", id="naive"),
        pytest.param({"paid_at_lte": "2025-07-29T15:51:28.071"}, "paid_at_lte", id="naive-ms"),
        pytest.param({"confirmed_at_gte": "2025-07-29"}, "confirmed_at_gte", id="date-only"),
        pytest.param({"updated_at_lte": "yesterday"}, "updated_at_lte", id="word"),
        pytest.param({"paid_at_gte": "2025-07-29 15:51:28Z"}, "paid_at_gte", id="space"),
        pytest.param({"paid_at_gte": "2025-07-29T15:51Z"}, "paid_at_gte", id="no-seconds"),
        pytest.param({"paid_at_gte": "2025-07-29T15Z"}, "paid_at_gte", id="hour-only"),
        pytest.param({"paid_at_gte": "20250729T155128Z"}, "paid_at_gte", id="basic-format"),
        pytest.param({"paid_at_gte": "2025-W31-2T15:51:28Z"}, "paid_at_gte", id="week-date"),
        pytest.param({"paid_at_gte": "2025-07-29T25:00:00Z"}, "paid_at_gte", id="hour-25"),
        pytest.param({"due_date_gte": "2025-13-01"}, "due_date_gte", id="month-13"),
        pytest.param({"due_date_lte": "29/07/2025"}, "due_date_lte", id="day-first"),
        pytest.param({"due_date_lte": "2025-7-9"}, "due_date_lte", id="unpadded"),
        pytest.param({"due_date_gte": "2025-W31-2"}, "due_date_gte", id="week-date-day"),
        pytest.param({"due_date_gte": "2025-07-29T00:00:00Z"}, "due_date_gte", id="datetime"),
        pytest.param({"credit_applied": "yes"}, "credit_applied", id="bool-yes"),
        pytest.param({"discount_applied": "1"}, "discount_applied", id="bool-1"),
        pytest.param({"status": "unknown"}, "status", id="status"),
        pytest.param({"status": "paid,open"}, "status", id="status-list"),
        pytest.param({"status": ["paid", "open"]}, "status", id="status-twice"),
        pytest.param({"purchase_types": "gym"}, "purchase_types", id="purchase-type"),
        pytest.param({"purchase_types": "class,"}, "purchase_types", id="purchase-blank"),
        pytest.param({"payment_processors": "9"}, "payment_processors", id="processor-9"),
        pytest.param({"payment_processors": "Stripe"}, "payment_processors", id="processor-name"),
        pytest.param({"customers": "x"}, "customers", id="customer-not-int"),
        pytest.param({"customer_memberships": "1.5"}, "customer_memberships", id="membership"),
        pytest.param({"id_gt": "-1"}, "id_gt", id="id_gt-negative"),
        pytest.param({"id_gt": "abc"}, "id_gt", id="id_gt-word"),
        pytest.param({"due_date_timeframe": "fortnight"}, "due_date_timeframe", id="tf-due"),
        pytest.param({"paid_at_timeframe": "someday"}, "paid_at_timeframe", id="tf-paid"),
        pytest.param({"statuses": "paid"}, "statuses", id="unknown-parameter"),
        pytest.param({"updated_since": "2025-07-29T15:51:28Z"}, "updated_since", id="unknown-2"),
        pytest.param({"status": ""}, "status", id="blank"),
        pytest.param({"format": "xml"}, "format", id="format"),
    ],
)
@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_invalid_values_are_a_400_naming_the_parameter(
    api: Api, path: str, params: dict, field: str
) -> None:
    if path == GROUPED:
        params = {**params, "columns": "status"}
    error = api.error(path, {"format": "json", **params})
    assert error["code"] == "invalid"
    assert error["type"] == "validation_error"
    assert isinstance(error["message"], str)
    assert list(error["field_errors"]) == [field]
    assert all(isinstance(m, str) and m for m in error["field_errors"][field])


@pytest.mark.parametrize(
    ("paid_at", "timeframe", "month"),
    [
        # 00:30 on 1 October in London, still 30 September in UTC
        pytest.param(datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "last_month", 10, id="bst"),
        # 23:30 on 31 October in London (GMT again), the last minutes of last month
        pytest.param(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "last_month", 10, id="gmt"),
        # 00:30 on 1 January 2025 in London (GMT): last year's first minutes
        pytest.param(datetime(2025, 1, 1, 0, 30, tzinfo=UTC), "last_year", 1, id="year"),
    ],
)
def test_paid_at_timeframe_follows_the_studio_calendar_like_payment_month(
    make_sandbox, paid_at: datetime, timeframe: str, month: int
) -> None:
    sandbox = make_sandbox()
    now = sandbox.clock.now()
    invoice = next(i for i in sandbox.invoices() if i.status == "open")
    sandbox.clock.set(paid_at)
    sandbox.pay(invoice.id, processor_id=3)
    sandbox.clock.set(now)
    api = Api(sandbox)
    found = api.all_rows(INVOICES, {"paid_at_timeframe": timeframe, "columns": "id"})
    assert invoice.id in {row["id"] for row in found}
    grouped = api.data(
        GROUPED, {"customers": invoice.customer_id, "columns": "payment_month,payment_processor"}
    )
    assert {"payment_month": month, "payment_processor": "Cash"} in grouped["rows"]
