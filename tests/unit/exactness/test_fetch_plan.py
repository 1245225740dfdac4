"""The fetch plan: every changed partition covered, never dearer than refreshing months whole."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.teamup.exactness.fetch_plan import plan_month_refreshes, plan_partition_fetches
from sources.teamup.exactness.partitions import months_between

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))
MONTHS = months_between(date(2023, 1, 1), date(2026, 12, 1))
# As docs/exactness.md states them, not read from the code under test: a request names at
# most 200 customers and covers at most 24 changed months; a page holds 100 rows (the API's
# maximum page size, which the source asks for).
MAX_CUSTOMERS_PER_REQUEST = 200
MAX_MONTHS_PER_REQUEST = 24
ROWS_PER_PAGE = 100


def requests_for(rows: int) -> int:
    """Requests a query of this many rows takes: its pages, and an empty one still asks once."""
    return max(1, (rows + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE)


def covered(fetches) -> set:
    return {p for fetch in fetches for p in fetch.partitions}


def test_sparse_months_share_one_request():
    changed = {JAN: {1}, FEB: {2}, MAR: {3}}
    known = {(c, m): 1 for c in (1, 2, 3) for m in (JAN, FEB, MAR)}
    plan = plan_partition_fetches(changed, known, {m: 500 for m in changed})
    assert plan.whole_months == set()
    assert len(plan.fetches) == 1
    fetch = plan.fetches[0]
    assert (fetch.first_month, fetch.last_month, fetch.customers) == (JAN, MAR, (1, 2, 3))
    assert covered(plan.fetches) == {(1, JAN), (2, FEB), (3, MAR)}


def test_a_month_cheaper_whole_is_refreshed_whole():
    changed = {JAN: set(range(1, 60))}
    known = {(c, JAN): 3 for c in range(1, 60)}
    plan = plan_partition_fetches(changed, known, {JAN: 150})
    assert (plan.fetches, plan.whole_months) == ((), {JAN})


def test_dense_customers_do_not_drag_in_other_months():
    changed = {JAN: set(range(1, 90)), APR: {500}}
    known = {(c, m): 1 for c in range(1, 90) for m in (JAN, FEB, MAR, APR)}
    known[(500, APR)] = 1
    plan = plan_partition_fetches(changed, known, {JAN: 5000, APR: 5000})
    assert plan.whole_months == set()
    assert {(f.first_month, f.last_month) for f in plan.fetches} == {(JAN, JAN), (APR, APR)}
    assert covered(plan.fetches) == {(c, JAN) for c in range(1, 90)} | {(500, APR)}


def test_many_customers_are_split_to_keep_urls_short():
    customers = set(range(1, 2 * MAX_CUSTOMERS_PER_REQUEST + 2))
    plan = plan_partition_fetches({JAN: customers}, {}, {JAN: 100_000})
    assert all(len(f.customers) <= MAX_CUSTOMERS_PER_REQUEST for f in plan.fetches)
    assert covered(plan.fetches) == {(c, JAN) for c in customers}


def test_whole_months_can_be_ruled_out():
    plan = plan_partition_fetches({JAN: {1}}, {}, {}, allow_whole_months=False)
    assert plan.whole_months == set()
    assert covered(plan.fetches) == {(1, JAN)}


def test_nothing_changed_costs_nothing():
    plan = plan_partition_fetches({}, {}, {})
    assert (plan.fetches, plan.whole_months, plan.expected_pages) == ((), set(), 0)


def test_without_customers_every_changed_month_is_refreshed_whole():
    assert plan_month_refreshes({JAN: {None}, FEB: {None}}).whole_months == {JAN, FEB}


# -- properties ------------------------------------------------------------------------------

customer_sets = st.sets(st.integers(1, 600), min_size=1, max_size=40) | st.sets(
    st.integers(1, 600), min_size=180, max_size=260
)
changes = st.dictionaries(st.sampled_from(MONTHS), customer_sets, max_size=6)


@st.composite
def scenarios(draw):
    changed = draw(changes)
    partitions = [(c, m) for m, cs in changed.items() for c in cs]
    partitions += [(c, m) for c in range(1, 30) for m in MONTHS[::7]]
    known = draw(st.dictionaries(st.sampled_from(partitions), st.integers(0, 6), max_size=80))
    month_rows = {m: draw(st.integers(0, 40_000)) for m in MONTHS}
    return changed, known, month_rows


def expected_pages(plan, known, month_rows) -> int:
    """The plan's cost recomputed from its requests: each fetch's groups (a partition the
    warehouse knows counts its rows, at least one) and customers, and whole months' rows."""
    cost = sum(requests_for(month_rows.get(m, 0)) for m in plan.whole_months)
    for fetch in plan.fetches:
        rows = sum(
            max(n, 1)
            for (customer, month), n in known.items()
            if customer in fetch.customers and fetch.first_month <= month <= fetch.last_month
        )
        cost += requests_for(rows + len(fetch.customers))
    return cost


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_every_changed_partition_is_fetched_or_its_month_refreshed_whole(scenario):
    changed, known, month_rows = scenario
    plan = plan_partition_fetches(changed, known, month_rows)
    wanted = {(c, m) for m, cs in changed.items() for c in cs}
    whole = {(c, m) for (c, m) in wanted if m in plan.whole_months}
    assert covered(plan.fetches) | whole == wanted
    assert covered(plan.fetches) <= wanted
    for fetch in plan.fetches:
        assert len(fetch.customers) <= MAX_CUSTOMERS_PER_REQUEST
        spanned = [m for m in changed if fetch.first_month <= m <= fetch.last_month]
        assert len(spanned) <= MAX_MONTHS_PER_REQUEST
        assert {c for c, _ in fetch.partitions} <= set(fetch.customers)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_a_plan_never_costs_more_than_refreshing_its_months_whole(scenario):
    changed, known, month_rows = scenario
    plan = plan_partition_fetches(changed, known, month_rows)
    assert plan.expected_pages == expected_pages(plan, known, month_rows)
    assert plan.expected_pages <= sum(requests_for(month_rows.get(m, 0)) for m in changed)
