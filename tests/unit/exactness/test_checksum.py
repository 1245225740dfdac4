"""Projection against the checksum: loaded, less what is replaced, plus what was fetched."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sources.teamup.exactness.checksum import (
    cells_off_checksum,
    checksum_months,
    comparable_counts,
    months_of,
)

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def test_a_cell_matches_once_the_replaced_partition_is_swapped_for_the_fetched_one():
    loaded = {(JAN, "paid"): 10, (JAN, "open"): 4}
    replaced = {(JAN, "open"): 2}  # the old partition held 2 open invoices
    fetched = {(JAN, "open"): 1, (JAN, "paid"): 1}  # one of them was paid since
    api = {(JAN, "paid"): 11, (JAN, "open"): 3}
    assert cells_off_checksum(loaded, replaced, fetched, api) == set()


def test_a_deletion_no_fetch_saw_leaves_its_cell_off():
    loaded = {(JAN, "paid"): 10, (FEB, "open"): 5}
    api = {(JAN, "paid"): 10, (FEB, "open"): 4}
    assert cells_off_checksum(loaded, {}, {}, api) == {(FEB, "open")}


def test_cells_only_one_side_knows_are_compared_too():
    assert cells_off_checksum({(JAN, "paid"): 1}, {}, {}, {(FEB, "paid"): 1}) == {
        (JAN, "paid"),
        (FEB, "paid"),
    }


def test_months_refreshed_whole_anyway_are_left_out():
    off = cells_off_checksum({(JAN, "paid"): 1}, {}, {}, {(FEB, "paid"): 1}, settled_months={JAN})
    assert off == {(FEB, "paid")}


def test_without_status_in_the_grouping_the_checksum_is_per_month():
    counts = Counter({(JAN, "paid"): 3, (JAN, "open"): 2, (FEB, "paid"): 1})
    assert comparable_counts(counts, by_status=True) == counts
    assert comparable_counts(counts, by_status=False) == {(JAN, None): 5, (FEB, None): 1}
    assert checksum_months(counts) == {JAN: 5, FEB: 1}
    assert months_of(counts) == {JAN, FEB}
