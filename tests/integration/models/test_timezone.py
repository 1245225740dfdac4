"""Months are calendar months of the reporting timezone, whatever the analyst's session says."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from pipelines import runs
from pipelines.warehouse.models import build_models
from tests.support.expected import Expected, check_marts

# 23:30 UTC on the last day of November is already December in Tokyo;
# 02:00 UTC on the first of December is still November in New York.
LATE_NOVEMBER = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
EARLY_DECEMBER = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DECEMBER = date(2026, 12, 1)


def paid_in_december(database) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select paid_invoices from teamup_marts.monthly_revenue where month = ?", [DECEMBER]
        ).fetchall()
    return found[0][0] if found else 0


def test_the_reporting_timezone_moves_payments_between_months(harness, monkeypatch):
    sandbox = harness.sandbox
    unpaid = [i for i in sorted(sandbox.invoices(), key=lambda i: i.id) if i.status == "open"]
    sandbox.clock.set(LATE_NOVEMBER)
    late = sandbox.pay(unpaid[0].id)
    sandbox.clock.set(EARLY_DECEMBER)
    early = sandbox.pay(unpaid[1].id)
    harness.later()
    harness.load()
    invoices = sandbox.invoices()
    # The generated history has no payments after its today: December holds only these two.
    assert {i.id for i in invoices if i.paid_at and i.paid_at >= LATE_NOVEMBER} == {
        late.id,
        early.id,
    }

    check_marts(harness.database, Expected(invoices, {1: 0}))
    assert paid_in_december(harness.database) == 1

    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", "Asia/Tokyo")
    build_models(runs.make_pipeline())
    check_marts(harness.database, Expected(invoices, {1: 0}, "Asia/Tokyo"))
    assert paid_in_december(harness.database) == 2

    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", "America/New_York")
    build_models(runs.make_pipeline())
    check_marts(harness.database, Expected(invoices, {1: 0}, "America/New_York"))
    assert paid_in_december(harness.database) == 0


def test_an_analyst_in_new_york_sees_the_reporting_months(harness):
    sandbox = harness.sandbox
    unpaid = next(i for i in sorted(sandbox.invoices(), key=lambda i: i.id) if i.status == "open")
    sandbox.clock.set(EARLY_DECEMBER)
    paid = sandbox.pay(unpaid.id)
    harness.later()
    harness.load()
    expected = Expected(sandbox.invoices(), {1: 0})
    check_marts(harness.database, expected, session_timezone="America/New_York")
    check_marts(harness.database, expected, session_timezone="Asia/Tokyo")
    with duckdb.connect(str(harness.database), read_only=True) as con:
        con.execute("set TimeZone = 'America/New_York'")
        # the pitfall the views avoid: an unpinned date_trunc follows the session
        naive = con.execute(
            "select cast(date_trunc('month', paid_at) as date) from teamup.invoices where id = ?",
            [paid.id],
        ).fetchone()[0]
        pinned = con.execute(
            "select paid_month from teamup_staging.stg_invoices where invoice_id = ?", [paid.id]
        ).fetchone()[0]
    assert naive == date(2026, 11, 1)
    assert pinned == DECEMBER
