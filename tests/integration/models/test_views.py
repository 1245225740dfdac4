"""Every view against the sandbox's invoices recomputed in Python, through changes and a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb

from pipelines import runs
from pipelines.warehouse.models import LAYERS, MODELS_DIR
from tests.support.expected import Expected, check_marts, read_marts


def every_model() -> set[str]:
    return {
        f"{schema}.{path.stem}"
        for layer, schema in LAYERS.items()
        for path in (MODELS_DIR / layer).glob("*.sql")
    }


def paid_invoices(sandbox, **more):
    """Paid, unrefunded, non-zero invoices in id order: the ones a refund test can use."""
    return [
        i
        for i in sorted(sandbox.invoices(), key=lambda i: i.id)
        if i.status == "paid"
        and not i.is_credit_note
        and i.refund_date is None
        and i.total > Decimal("10")
        and all(getattr(i, k) == v for k, v in more.items())
    ]


def test_every_view_matches_the_sandbox_for_three_providers(make_harness, monkeypatch):
    harness = make_harness(providers=3)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")
    summary = harness.load()
    assert set(summary.views_built) == every_model()
    assert summary.mismatched_months == []
    check_marts(harness.database, Expected(harness.sandbox.invoices(), {1: 1, 2: 2, 3: 3}))
    currencies = harness.query(
        "select distinct provider_id, currency from teamup_marts.monthly_revenue order by all"
    )
    assert currencies == [(1, "GBP"), (2, "EUR"), (3, "USD")]
    money = harness.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'teamup_marts' and table_name = 'monthly_revenue' "
        "and column_name in ('gross_revenue', 'refunds', 'net_revenue')"
    )
    assert {kind for _, kind in money} == {"DECIMAL(38,2)"}


def test_views_follow_payments_refunds_failures_and_a_reload(harness):
    sandbox = harness.sandbox
    harness.load()
    check_marts(harness.database, Expected(sandbox.invoices(), {1: 0}))

    harness.later()
    unpaid = [i for i in sorted(sandbox.invoices(), key=lambda i: i.id) if i.status == "open"]
    sandbox.pay(unpaid[0].id, processor_id=2)
    sandbox.pay(unpaid[1].id, processor_id=3)
    paid = paid_invoices(sandbox)
    sandbox.refund(paid[0].id)  # whole, years after its payment
    sandbox.refund(paid[1].id, Decimal("7.35"))  # in part
    sandbox.set_status(paid[2].id, "failed")  # a payment that did not stand
    harness.later()
    assert harness.load().mismatched_months == []
    check_marts(harness.database, Expected(sandbox.invoices(), {1: 0}))

    # The sandbox's payments end at its clock's today: a refund next January is a month of
    # refunds only, and December a month of nothing.
    sandbox.clock.set(datetime(2027, 1, 12, 10, 0, tzinfo=UTC))
    sandbox.refund(paid[3].id)
    harness.later()
    assert harness.load().mismatched_months == []
    check_marts(harness.database, Expected(sandbox.invoices(), {1: 0}))
    january = harness.query(
        "select paid_invoices, gross_revenue, refunds, net_revenue "
        "from teamup_marts.monthly_revenue where month = date '2027-01-01'"
    )
    assert january == [(0, Decimal("0.00"), paid[3].total, -paid[3].total)]
    december = harness.query(
        "select net_revenue, net_revenue_change from teamup_marts.revenue_growth "
        "where month = date '2026-12-01'"
    )
    assert len(december) == 1 and december[0][0] == 0

    # A fresh full load into an empty warehouse gives the very same views.
    fresh = harness.workdir / "fresh"
    pipeline = runs.make_pipeline(
        pipelines_dir=str(fresh / "dlt"), database=str(fresh / "warehouse.duckdb")
    )
    runs.load(pipeline)
    assert read_marts(fresh / "warehouse.duckdb") == read_marts(harness.database)


def test_staging_keeps_every_row_and_normalizes_currency(harness):
    harness.load()
    with duckdb.connect(str(harness.database), read_only=True) as con:
        raw = con.execute("select count(*) from teamup.invoices").fetchone()
        staged = con.execute("select count(*) from teamup_staging.stg_invoices").fetchone()
        assert raw == staged
        grouped = con.execute(
            "select sum(invoice_count), count(*) filter (where payment_month is not null) "
            "from teamup_staging.stg_invoices_grouped"
        ).fetchone()
        assert grouped[0] == len(harness.sandbox.invoices())
        assert grouped[1] > 0
        currencies = con.execute("select distinct currency from teamup_staging.stg_invoices")
        assert currencies.fetchall() == [("GBP",)]
