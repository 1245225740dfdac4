"""The partition plan: every changed partition covered, at the fewest expected pages."""

from __future__ import annotations

from datetime import date

import pytest

from sources.teamup.exactness.fetch_plan import plan_partition_fetches
from sources.teamup.exactness.partitions import month_bounds, months_between, partition_key
from sources.teamup.settings import MAX_CUSTOMERS_PER_REQUEST

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))


def covered(fetches) -> set:
    return {p for fetch in fetches for p in fetch.partitions}


def test_sparse_months_share_one_request():
    changed = {JAN: {1}, FEB: {2}, MAR: {3}}
    known = {(c, m): 1 for c in (1, 2, 3) for m in (JAN, FEB, MAR)}
    plan = plan_partition_fetches(changed, known, {m: 500 for m in changed})
    fetches, whole = list(plan.fetches), set(plan.whole_months)
    assert whole == set()
    assert len(fetches) == 1
    assert (fetches[0].first_month, fetches[0].last_month) == (JAN, MAR)
    assert fetches[0].customers == (1, 2, 3)
    assert covered(fetches) == {(1, JAN), (2, FEB), (3, MAR)}


def test_a_month_cheaper_whole_is_refreshed_whole():
    changed = {JAN: set(range(1, 60))}
    known = {(c, JAN): 3 for c in range(1, 60)}
    plan = plan_partition_fetches(changed, known, {JAN: 150})
    fetches, whole = list(plan.fetches), set(plan.whole_months)
    assert (fetches, whole) == ([], {JAN})


def test_dense_customers_do_not_drag_in_other_months():
    changed = {JAN: set(range(1, 90)), APR: {500}}
    known = {(c, m): 1 for c in range(1, 90) for m in (JAN, FEB, MAR, APR)}
    known[(500, APR)] = 1
    plan = plan_partition_fetches(changed, known, {JAN: 5000, APR: 5000})
    fetches, whole = list(plan.fetches), set(plan.whole_months)
    assert whole == set()
    assert {(f.first_month, f.last_month) for f in fetches} == {(JAN, JAN), (APR, APR)}
    assert covered(fetches) == {(c, JAN) for c in range(1, 90)} | {(500, APR)}


def test_many_customers_are_split_to_keep_urls_short():
    customers = set(range(1, 2 * MAX_CUSTOMERS_PER_REQUEST + 2))
    plan = plan_partition_fetches({JAN: customers}, {}, {JAN: 100_000})
    fetches, _ = list(plan.fetches), set(plan.whole_months)
    assert all(len(f.customers) <= MAX_CUSTOMERS_PER_REQUEST for f in fetches)
    assert covered(fetches) == {(c, JAN) for c in customers}


@pytest.mark.parametrize(
    ("month", "start", "expected"),
    [
        (date(2024, 2, 1), None, (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2025, 2, 1), None, (date(2025, 2, 1), date(2025, 2, 28))),
        (date(2025, 12, 1), None, (date(2025, 12, 1), date(2025, 12, 31))),
        (date(2025, 6, 1), date(2025, 6, 15), (date(2025, 6, 15), date(2025, 6, 30))),
    ],
    ids=["leap-february", "february", "december", "after-start-date"],
)
def test_month_bounds(month, start, expected):
    assert month_bounds(month, start) == expected


def test_months_between_crosses_years():
    assert months_between(date(2024, 11, 20), date(2025, 2, 3)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]


def test_partition_keys_name_provider_month_and_customer():
    assert partition_key(2, JAN, 1234) == "2/2025-01/1234"
    assert partition_key(0, JAN, None) == "0/2025-01/*"


def test_whole_months_can_be_ruled_out():
    plan = plan_partition_fetches({JAN: {1}}, {}, {}, allow_whole_months=False)
    fetches, whole = list(plan.fetches), set(plan.whole_months)
    assert whole == set()
    assert covered(fetches) == {(1, JAN)}
