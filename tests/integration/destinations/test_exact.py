"""The exactness tests on both warehouses: the same changes, the same expectations, to the cent."""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.support.changes import random_sequence
from tests.support.expected import Expected, assert_same, check_marts, read_marts
from tests.support.harness import Harness
from tests.support.targets import DESTINATIONS

# On PostgreSQL, a share of the randomized sequences DuckDB runs (TEAMUP_RANDOM_RUNS).
RANDOM_RUNS = max(2, int(os.environ.get("TEAMUP_RANDOM_RUNS", "6")) // 5)


@pytest.fixture(params=DESTINATIONS)
def destination(request: pytest.FixtureRequest) -> str:
    return request.param


def grouped_counts(harness, provider_id: int = 0) -> Counter:
    loaded = harness.query(
        "select due_month, status, sum(invoice_count) from teamup.invoices_grouped "
        "where provider_id = ? group by due_month, status",
        provider_id,
    )
    return Counter({(month, status): int(n) for month, status, n in loaded})


def sandbox_counts(sandbox, provider_id: int | None = None) -> Counter:
    return Counter(
        (date(i.due_date.year, i.due_date.month, 1), i.status)
        for i in sandbox.invoices(provider_id)
    )


def test_a_first_load_holds_every_invoice_and_every_cent(make_harness, destination):
    harness = make_harness(destination)
    harness.load()
    invoices = harness.sandbox.invoices()
    assert grouped_counts(harness) == sandbox_counts(harness.sandbox)
    loaded = harness.query("select id, total_amount from teamup.invoices order by id")
    assert loaded == sorted((i.id, i.total) for i in invoices)
    assert all(isinstance(total, Decimal) for _, total in loaded)
    check_marts(harness.target, Expected(invoices, {1: 0}))
    harness.assert_exact()


def _first(sandbox, **wanted):
    return next(
        i
        for i in sorted(sandbox.invoices(), key=lambda i: i.id)
        if all(getattr(i, k) == v for k, v in wanted.items())
    )


CHANGES = {
    "pay": lambda s: s.pay(_first(s, status="open").id, processor_id=2),
    "status": lambda s: s.set_status(_first(s, status="open").id, "failed"),
    "add": lambda s: s.add_invoice(s.customers()[0].id, 1005, date(2026, 10, 3), "paid"),
    "delete": lambda s: s.delete_invoice(_first(s, status="paid").id),
    "redate": lambda s: (lambda i: s.move_due_date(i.id, i.due_date + timedelta(days=95)))(
        _first(s, status="open")
    ),
    "rename": lambda s: s.rename_customer(s.customers()[0].id, "Renée O’Neil"),
    "refund": lambda s: s.refund(_first(s, status="paid", is_credit_note=False).id),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_kind_of_change_is_exact(make_harness, destination, change):
    harness = make_harness(destination, invoices=400)
    harness.settled()
    CHANGES[change](harness.sandbox)
    harness.later()
    harness.load()
    assert grouped_counts(harness) == sandbox_counts(harness.sandbox)
    check_marts(harness.target, Expected(harness.sandbox.invoices(), {1: 0}))
    harness.assert_exact()


def test_a_backfill_replaces_its_months_exactly(make_harness, destination):
    harness = make_harness(destination, invoices=400)
    harness.load()
    harness.later()
    months = sorted({i.due_date for i in harness.sandbox.invoices()})
    harness.sandbox.delete_invoice(_first(harness.sandbox, status="paid").id)
    harness.backfill(months[0], months[-1])
    assert grouped_counts(harness) == sandbox_counts(harness.sandbox)
    harness.assert_exact()


def test_two_providers_load_side_by_side(make_harness, destination, monkeypatch):
    harness = make_harness(destination, providers=2, invoices=600)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2")
    harness.load()
    for provider_id in (1, 2):
        assert grouped_counts(harness, provider_id) == sandbox_counts(harness.sandbox, provider_id)
    harness.later()
    harness.sandbox.delete_invoice(harness.sandbox.invoices(2)[0].id)
    harness.later()
    harness.load()
    check_marts(harness.target, Expected(harness.sandbox.invoices(), {1: 1, 2: 2}))
    harness.assert_exact()


@pytest.mark.parametrize("seed", range(RANDOM_RUNS), ids=[f"seed-{n}" for n in range(RANDOM_RUNS)])
def test_random_sequences_stay_exact_on_postgres(make_harness, seed):
    """The randomized sequences of tests/integration/pipeline, a share of them, on PostgreSQL
    (DuckDB runs them all there)."""
    rng = random.Random(1000 + seed)
    harness = make_harness("postgres", invoices=300, seed=seed + 1, audit=True)
    random_sequence(harness, rng)


def test_the_views_are_identical_on_both_warehouses(
    make_sandbox, make_target, isolated, monkeypatch
):
    """One sandbox loaded into each: every view row by row, read in a Tokyo session, equal
    on both and to the values computed from the sandbox (money as the same Decimal)."""
    sandbox = make_sandbox(providers=2, invoices=800)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2")
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", "America/New_York")
    marts = {}
    for kind in DESTINATIONS:
        with monkeypatch.context() as patch:
            (isolated / kind).mkdir()
            patch.setenv("DLT_DATA_DIR", str(isolated / kind / "dlt_data"))  # a pipeline each
            harness = Harness(sandbox, isolated / kind, patch, make_target(kind))
            harness.load()
            marts[kind] = read_marts(harness.target, session_timezone="Asia/Tokyo")
    assert marts["duckdb"] == marts["postgres"]
    assert all(marts["duckdb"].values())  # every view has rows: the comparison compared
    expected = Expected(sandbox.invoices(), {1: 1, 2: 2}, reporting_timezone="America/New_York")
    for name, want in expected.all().items():
        assert_same(name, marts["postgres"][name], want)


def test_status_check_and_the_report_read_postgres(make_harness, tmp_path):
    from pipelines.check import check
    from pipelines.report import write_report
    from pipelines.status import status

    harness = make_harness("postgres", invoices=400)
    harness.load()
    shown = status()
    assert shown.rows["invoices"] == len(harness.sandbox.invoices())
    assert [run.outcome for run in shown.runs] == ["succeeded"]
    assert check().ok
    summary = write_report(None, tmp_path / "report.html")
    assert summary.charts >= 4
    page = (tmp_path / "report.html").read_text()
    assert "payment months in UTC (the reporting timezone)" in page
    assert "postgresql://teamup_loader:***@" in page  # named, the password never
