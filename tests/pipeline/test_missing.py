"""Lost invoices found by bisecting ids: the right partitions, in few requests, and when not."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date

import pytest

from sources.teamup.exactness.bisect import LEAF_INVOICES, locate_missing, worth_bisecting

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


class Api:
    """What the API holds, (id, month, status, customer) per invoice, counted as id_gt does."""

    def __init__(self, invoices: list[tuple[int, date, str, int]]) -> None:
        self.invoices = invoices
        self.asked: list[tuple[date, int]] = []

    def counts(self) -> Counter:
        return Counter((month, status) for _, month, status, _ in self.invoices)

    def count_above(self, asked):
        self.asked += asked
        answers = []
        for month, threshold in asked:
            answers.append(
                Counter(s for i, m, s, _ in self.invoices if m == month and i > threshold)
            )
        return answers


def cells_of(invoices):
    cells: dict = {}
    for invoice, month, status, customer in sorted(invoices):
        cells.setdefault((month, status), []).append((invoice, customer))
    return cells


def history(count: int, seed: int = 1) -> list[tuple[int, date, str, int]]:
    rng = random.Random(seed)
    return [
        (10_000 + n, rng.choice((NOV, DEC)), rng.choice(("paid", "open")), rng.randrange(900))
        for n in range(count)
    ]


def test_one_invoice_gone_from_a_big_cell_is_found_in_a_few_requests():
    ours = history(6000)
    gone = ours[4321]
    api = Api([i for i in ours if i != gone])
    found, unexplained = locate_missing(cells_of(ours), api.counts(), api.count_above)
    assert gone[3] in found[gone[1]]
    assert unexplained == set()
    cell_size = sum(1 for i in ours if i[1:3] == gone[1:3])
    assert len(api.asked) <= math.ceil(math.log2(cell_size / LEAF_INVOICES)) + 1
    assert sum(len(customers) for customers in found.values()) <= LEAF_INVOICES


@pytest.mark.parametrize("seed", range(6), ids=lambda seed: f"seed{seed}")
def test_every_lost_invoice_lies_in_a_partition_found(seed):
    rng = random.Random(seed)
    ours = history(3000, seed)
    gone = set(rng.sample(ours, rng.randrange(1, 40)))
    api = Api([i for i in ours if i not in gone])
    found, unexplained = locate_missing(cells_of(ours), api.counts(), api.count_above)
    assert unexplained == set()
    assert all(customer in found.get(month, set()) for _, month, _, customer in gone)


def test_cells_that_lost_nothing_cost_nothing():
    ours = history(2000)
    api = Api(list(ours))
    assert locate_missing(cells_of(ours), api.counts(), api.count_above) == ({}, set())
    assert api.asked == []


def test_an_invoice_the_warehouse_does_not_know_leaves_its_cell_unexplained():
    ours = history(2000)
    stranger = (99_999, NOV, "paid", 5)
    gone = next(i for i in ours if i[1:3] == (NOV, "paid"))
    api = Api([i for i in ours if i != gone] + [stranger, (99_998, NOV, "paid", 6)])
    _, unexplained = locate_missing(cells_of(ours), api.counts(), api.count_above)
    assert unexplained == {(NOV, "paid")}


@pytest.mark.parametrize(
    ("known", "missing", "customers", "expected"),
    [
        (14000, 1, 7900, True),
        (14000, 5, 7900, True),
        (14000, 60, 7900, False),
        (3000, 80, 2200, False),
        (90, 1, 80, False),
        (5000, 0, 4000, False),
        (5000, -2, 4000, False),
    ],
    ids=[
        "one-in-a-big-cell",
        "few-in-a-big-cell",
        "many-in-a-big-cell",
        "dense",
        "small-cell",
        "none",
        "api-has-more",
    ],
)
def test_bisecting_is_chosen_only_where_it_costs_less_than_listing(
    known, missing, customers, expected
):
    assert worth_bisecting(known, missing, customers) is expected


def test_a_paid_invoice_deleted_from_a_busy_month_is_found_without_listing_customers(
    make_harness, monkeypatch
):
    """Listing the customers of a busy month's paid invoices takes several pages; the ids
    of the one the API lost are bisected instead, and the tables still equal a fresh load."""
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND", "0")  # 30k: no waiting
    harness = make_harness(invoices=30000)
    harness.settled()
    paid = [i for i in harness.sandbox.invoices() if i.status == "paid" and not i.is_credit_note]
    busiest = Counter(i.due_date.replace(day=1) for i in paid).most_common(1)[0][0]
    gone = sorted(i.id for i in paid if i.due_date.replace(day=1) == busiest)[123]
    harness.sandbox.delete_invoice(gone)
    harness.later()
    harness.sandbox.log.clear()
    summary = harness.load()
    grouped = harness.sandbox.log.requests("invoices.grouped")
    assert [e for e in grouped if "status" in e.info.params] == []  # no customers listed
    probes = [e for e in grouped if "id_gt" in e.info.params]
    assert 0 < len(probes) <= 8
    assert summary.search_requests == len(probes)
    assert f"({len(probes)} finding deleted invoices)" in summary.line()
    assert harness.query("select count(*) from teamup.invoices where id = ?", gone) == [(0,)]
    harness.assert_exact()


def test_the_summary_counts_the_requests_spent_finding_deleted_invoices(make_harness):
    """A night that deletes nothing spends none; one that deletes an open invoice says how
    many of its requests went to finding it (listings or id probes, as logged)."""
    harness = make_harness(invoices=8000)
    harness.settled()
    harness.sandbox.pay(next(i.id for i in harness.sandbox.invoices() if i.status == "open"))
    harness.later()
    quiet = harness.load()
    assert quiet.search_requests == 0
    assert "finding deleted" not in quiet.line()
    invoices = harness.sandbox.invoices()
    busiest = Counter(i.due_date.replace(day=1) for i in invoices).most_common(1)[0][0]
    harness.sandbox.delete_invoice(
        next(i.id for i in invoices if i.status == "open" and i.due_date.replace(day=1) == busiest)
    )
    harness.later()
    harness.sandbox.log.clear()
    summary = harness.load()
    searched = [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if "status" in e.info.params or "id_gt" in e.info.params
    ]
    assert summary.search_requests == len(searched) > 0
    harness.assert_exact()
