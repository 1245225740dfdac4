"""Bisection on larger histories: the right partitions, in few requests, and when it is chosen."""

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
