"""Bisection: every lost invoice found, in few requests; exactly the lost ones at leaf size 1."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sources.teamup.exactness.bisect import locate_missing, worth_bisecting

NOV = date(2026, 11, 1)
CELL = (NOV, "paid")


class FakeApi:
    """What the API holds of one cell, counted above an id as `id_gt` does."""

    def __init__(self, ids: set[int]) -> None:
        self.ids, self.requests = ids, 0

    def count_above(self, probes):
        self.requests += len(probes)
        return [Counter({"paid": sum(1 for i in self.ids if i > bound)}) for _, bound in probes]


@st.composite
def cells(draw):
    ids = sorted(draw(st.sets(st.integers(1, 100_000), min_size=1, max_size=400)))
    invoices = [(i, draw(st.integers(1, 50))) for i in ids]
    lost = draw(st.sets(st.sampled_from(ids), max_size=8))
    return invoices, lost


@settings(max_examples=80, deadline=None)
@given(cells())
def test_every_lost_invoice_is_in_a_partition_found(cell):
    invoices, lost = cell
    api = FakeApi({i for i, _ in invoices} - lost)
    found, unexplained = locate_missing({CELL: invoices}, {CELL: len(api.ids)}, api.count_above)
    assert unexplained == set()
    lost_customers = {c for i, c in invoices if i in lost}
    assert lost_customers <= found.get(NOV, set()) <= {c for _, c in invoices}


@settings(max_examples=80, deadline=None)
@given(cells())
def test_at_leaf_size_one_bisection_names_exactly_the_lost_invoices(cell):
    invoices, lost = cell
    unique = [(i, i) for i, _ in invoices]  # each invoice its own customer: ids are visible
    api = FakeApi({i for i, _ in unique} - lost)
    found, _ = locate_missing({CELL: unique}, {CELL: len(api.ids)}, api.count_above, leaf=1)
    assert found.get(NOV, set()) == lost


def test_one_invoice_gone_from_a_big_cell_costs_about_one_request_per_halving():
    invoices = [(i, i % 700) for i in range(1, 8001)]
    api = FakeApi({i for i, _ in invoices} - {4321})
    found, _ = locate_missing({CELL: invoices}, {CELL: len(api.ids)}, api.count_above)
    assert 4321 % 700 in found[NOV]
    assert api.requests <= 9  # log2(8000 / 32) halvings


def test_an_invoice_the_warehouse_does_not_know_leaves_the_cell_unexplained():
    api = FakeApi({1, 2, 3, 99_999})
    _, unexplained = locate_missing({CELL: [(1, 1), (2, 2), (3, 3)]}, {CELL: 4}, api.count_above)
    assert unexplained == {CELL}


def test_bisecting_pays_only_where_listing_customers_would_cost_more():
    assert worth_bisecting(known=8000, missing=1, customers=5000)
    assert not worth_bisecting(known=8000, missing=1, customers=40)
    assert not worth_bisecting(known=10, missing=0, customers=5000)


def test_a_lost_walk_in_is_found_in_its_months_customerless_partition():
    """An invoice sold to no customer (None) is found like any other: the partition named is
    (None, month), which the run then refreshes with its month (never a customers=[None])."""
    invoices = [(i, None if i == 77 else i % 5 + 1) for i in range(1, 201)]
    api = FakeApi({i for i, _ in invoices} - {77})
    found, unexplained = locate_missing({CELL: invoices}, {CELL: 199}, api.count_above, leaf=1)
    assert found == {NOV: {None}} and unexplained == set()
