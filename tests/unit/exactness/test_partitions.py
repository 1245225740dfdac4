"""Partitions: their keys and months, those a window's changes touched, those left short."""

from __future__ import annotations

from datetime import date

import pytest

from sources.teamup.exactness.partitions import (
    Place,
    customer_of_key,
    month_bounds,
    months_between,
    months_without_customer,
    partition_key,
    short_partitions,
    touched_partitions,
    without_partitions,
)

JAN, FEB, MAR = (date(2025, m, 1) for m in (1, 2, 3))


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
    assert customer_of_key("2/2025-01/1234") == 1234
    assert customer_of_key("0/2025-01/*") is None


def test_a_changed_invoice_touches_the_partition_it_is_in_and_the_one_it_left():
    changed = {7: Place(1, FEB, "paid"), 8: Place(2, JAN, "open")}
    before = {7: Place(1, JAN, "open"), 9: Place(3, MAR, "paid")}  # 7 was re-dated
    assert touched_partitions(changed, before) == {FEB: {1}, JAN: {1, 2}}


def test_an_invoice_moved_to_another_customer_touches_both():
    assert touched_partitions({7: Place(2, JAN, "paid")}, {7: Place(1, JAN, "paid")}) == {
        JAN: {1, 2}
    }


def test_an_invoice_without_a_customer_touches_its_months_customerless_partition():
    changed = {7: Place(None, JAN, "paid"), 8: Place(1, FEB, "paid")}
    before = {8: Place(None, MAR, "open")}  # 8 was sold to no one, now to customer 1
    assert touched_partitions(changed, before) == {JAN: {None}, FEB: {1}, MAR: {None}}


def test_only_months_with_a_customerless_partition_go_whole():
    assert months_without_customer({JAN: {None, 1}, FEB: {2}, MAR: {None}}) == {JAN, MAR}


def test_partitions_fetched_already_are_skipped():
    changed = {JAN: {1, 2}, FEB: {3}}
    assert without_partitions(changed, frozenset({(1, JAN), (3, FEB)})) == {JAN: {2}}


def test_a_partition_whose_ids_would_not_add_up_is_short():
    api = {(1, JAN): 2, (2, JAN): 1}  # the API's invoices per refreshed partition
    loaded = {10: (1, JAN), 11: (1, JAN), 12: (1, JAN), 20: (2, JAN)}
    # 12 was deleted beside a change to 10; 21 is new in (2, JAN) and 20 left it.
    changed = {10: Place(1, JAN, "paid"), 21: Place(2, JAN, "open"), 20: Place(2, FEB, "open")}
    assert short_partitions(api, loaded, changed) == {JAN: {1}}


def test_partitions_that_add_up_are_not_short():
    api = {(1, JAN): 1}
    assert short_partitions(api, {10: (1, JAN)}, {10: Place(1, JAN, "paid")}) == {}
