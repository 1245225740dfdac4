"""The invoice-level id diff: gone ids deleted, moved ones upserted only."""

from __future__ import annotations

from datetime import date

from sources.teamup.exactness.invoice_ids import (
    invoice_changes,
    latest_records,
    missing_ids,
    partitions_to_check,
)

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def record(invoice: int, month: date, status: str = "paid") -> dict:
    return {"id": invoice, "due_month": month, "status": status, "customer_id": 1}


def test_partitions_without_a_customer_are_not_checked_by_id():
    assert partitions_to_check({JAN: {1, None}}, {JAN: {2}, FEB: {None}}) == {JAN: {1, 2}}


def test_loaded_ids_the_api_no_longer_has_are_missing():
    assert missing_ids({10: JAN, 11: JAN, 12: FEB}, present={11}) == {10: JAN, 12: FEB}


def test_the_window_wins_over_a_partition_fetched_earlier_in_the_run():
    older, newer = record(10, JAN, "open"), record(10, JAN, "paid")
    assert latest_records([older], [newer]) == {10: newer}


def test_an_invoice_missing_from_its_partition_but_in_the_records_moved_and_is_not_deleted():
    records = latest_records([record(10, FEB)])  # re-dated from JAN's partition to FEB
    changes = invoice_changes(records, {10: JAN, 11: JAN}, whole_months=set())
    assert [r["id"] for r in changes.upserts] == [10]
    assert list(changes.deletes) == [11]


def test_months_refreshed_whole_take_their_records_and_deletions_with_them():
    records = latest_records([record(10, FEB), record(12, JAN)])
    changes = invoice_changes(records, {11: JAN}, whole_months={JAN})
    assert [r["id"] for r in changes.upserts] == [10]
    assert list(changes.deletes) == []
