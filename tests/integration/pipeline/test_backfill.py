"""A backfill replaces exactly its due months and leaves the watermark where it was."""

from __future__ import annotations

from datetime import date

import duckdb


def _month_rows(database, month: date) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select * exclude (_dlt_load_id, _dlt_id, is_deleted) from teamup.invoices_grouped "
            "where due_month = ? order by group_key",
            [month],
        ).fetchall()


def _delete_one_in(sandbox, month: date) -> None:
    victim = next(i for i in sandbox.invoices() if i.due_date.replace(day=1) == month)
    sandbox.delete_invoice(victim.id)


def test_backfill_replaces_its_months_only_and_keeps_the_watermark(harness):
    harness.load()
    watermark = harness.watermarks()
    inside, outside = date(2025, 6, 1), date(2025, 9, 1)
    stale_outside = _month_rows(harness.database, outside)
    _delete_one_in(harness.sandbox, inside)
    _delete_one_in(harness.sandbox, outside)
    harness.later()

    summary = harness.backfill(date(2025, 5, 10), date(2025, 6, 20))  # May and June, whole

    assert summary.months_refreshed == 2
    assert harness.watermarks() == watermark
    harness.fresh_tables()
    fresh = harness.workdir / "fresh-1.duckdb"  # what harness.fresh_tables loaded
    assert _month_rows(harness.database, inside) == _month_rows(fresh, inside)
    assert _month_rows(harness.database, outside) == stale_outside  # untouched until a load
    harness.load()
    harness.assert_exact()


def test_backfill_requests_only_its_months(harness):
    harness.load()
    harness.sandbox.log.clear()
    harness.backfill(date(2024, 2, 1), date(2024, 4, 30))
    ranges = {
        (e.info.params["due_date_gte"][0], e.info.params["due_date_lte"][0])
        for e in harness.sandbox.log.requests("invoices.grouped")
    }
    assert ranges == {
        ("2024-02-01", "2024-02-29"),
        ("2024-03-01", "2024-03-31"),
        ("2024-04-01", "2024-04-30"),
    }


def test_backfill_on_an_empty_warehouse_then_load_is_exact(harness):
    harness.backfill(date(2024, 1, 1), date(2024, 12, 31))
    assert harness.watermarks() == {}
    harness.load()
    harness.assert_exact()
