"""What to do about a cell off the checksum: its month whole, bisection, or a listing."""

from __future__ import annotations

from datetime import date

from sources.teamup.exactness.cells import (
    choose_bisect_or_list,
    customers_per_cell,
    invoices_per_cell,
    listing_differences,
    months_cheaper_whole,
    unlistable,
)
from sources.teamup.exactness.partitions import Place, merged

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)
PAID, OPEN = (JAN, "paid"), (JAN, "open")


def test_fetched_partitions_replace_the_loaded_counts_of_their_customers():
    loaded = {PAID: {1: 2, 2: 1}, (FEB, "paid"): {1: 5}}
    fetched = {(1, JAN, "paid"): 3}  # customer 2's partition came back empty
    ours = customers_per_cell(loaded, {(1, JAN), (2, JAN)}, fetched)
    assert ours == {PAID: {1: 3, 2: 0}, (FEB, "paid"): {1: 5}}


def test_a_month_whose_customers_fill_as_many_pages_as_the_month_is_refreshed_whole():
    ours = {PAID: {c: 1 for c in range(150)}, (FEB, "paid"): {1: 1}}
    assert months_cheaper_whole(ours, {JAN: 180, FEB: 5000}) == {JAN}


def test_a_big_cell_that_lost_one_invoice_is_bisected_a_small_one_listed():
    big = [(i, i) for i in range(5000)]  # 5000 customers: a listing of 50 pages
    ours = {PAID: {c: 1 for c in range(5000)}, OPEN: {1: 1, 2: 1}}
    known = {PAID: big, OPEN: [(1, 1), (2, 2)]}
    choices = choose_bisect_or_list({PAID, OPEN}, ours, known, {PAID: 4999, OPEN: 1})
    assert set(choices.bisect) == {PAID} and choices.bisect[PAID] == big
    assert choices.listing == {OPEN}


def test_without_an_invoice_window_every_cell_is_listed():
    choices = choose_bisect_or_list({PAID}, {PAID: {1: 1}}, None, {PAID: 0})
    assert (dict(choices.bisect), choices.listing) == ({}, {PAID})


def test_each_cell_holds_the_loaded_invoices_with_the_window_applied():
    loaded = {1: Place(10, JAN, "open"), 2: Place(11, JAN, "paid"), 3: Place(12, FEB, "paid")}
    changed = {1: Place(10, JAN, "paid"), 4: Place(13, JAN, "paid")}
    assert invoices_per_cell(loaded, changed, {JAN}, by_status=True) == {
        PAID: [(1, 10), (2, 11), (4, 13)]
    }
    assert invoices_per_cell(loaded, changed, {JAN, FEB}, by_status=False) == {
        (JAN, None): [(1, 10), (2, 11), (4, 13)],
        (FEB, None): [(3, 12)],
    }


def test_a_listing_names_the_customers_whose_counts_differ():
    ours = {PAID: {1: 2, 2: 1, 3: 0}}
    listed = {PAID: {1: 2, 3: 1}}  # 2 lost its invoice; 3 has one we do not
    assert listing_differences(listed, ours) == {JAN: {2, 3}}
    assert merged({JAN: {1}}, {JAN: {2}, FEB: {3}}) == {JAN: {1, 2}, FEB: {3}}


def test_a_cell_of_a_status_the_docs_do_not_list_is_never_listed():
    cells = {PAID, (JAN, "written_off"), (FEB, None), (FEB, "retry_failed")}
    assert unlistable(cells, by_status=True) == {(JAN, "written_off"), (FEB, None)}


def test_without_status_in_the_grouping_every_cell_lists_without_a_status_filter():
    assert unlistable({(JAN, None), (FEB, None)}, by_status=False) == set()


def test_a_customerless_partition_that_differs_is_found_like_any_other():
    listed = {PAID: {1: 2, None: 3}}
    ours = {PAID: {1: 2, None: 4}}  # a walk-in's invoice was deleted
    assert listing_differences(listed, ours) == {JAN: {None}}
