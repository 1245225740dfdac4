"""`teamup-etl check`: freshness, reconciliation, row-count jumps and the last run's outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipelines.check import check
from pipelines.failures.errors import ApiUnavailableError, WarehouseError
from tests.support.cli import assert_one_line_error, etl


def finished_at(harness) -> datetime:
    rows = harness.query(
        "select max(finished_at) from teamup.run_history where outcome = 'succeeded'"
    )
    return rows[0][0]


def results(report) -> dict[str, bool]:
    return {result.name: result.ok for result in report.results}


def test_all_checks_pass_after_a_good_load(harness):
    harness.load()
    report = check(now=finished_at(harness) + timedelta(hours=1))
    assert report.ok, report.text()
    assert results(report) == {
        "last run": True,
        "freshness": True,
        "reconciliation": True,
        "row counts": True,
        "audit": True,
    }


@pytest.mark.parametrize(
    ("hours", "limit", "fresh"),
    [(25, None, True), (27, None, False), (3, 2.0, False), (47, 48.0, True)],
    ids=["25h-default", "27h-default", "3h-limit-2", "47h-limit-48"],
)
def test_freshness_against_the_threshold(harness, hours, limit, fresh):
    harness.load()
    report = check(max_age_hours=limit, now=finished_at(harness) + timedelta(hours=hours))
    assert results(report)["freshness"] is fresh
    assert f"finished {hours}.0 h ago" in report.text()


def test_the_threshold_comes_from_the_configuration(harness, monkeypatch):
    harness.load()
    monkeypatch.setenv("TEAMUP_ETL__CHECK_MAX_AGE_HOURS", "1")
    report = check(now=finished_at(harness) + timedelta(hours=2))
    assert not report.ok
    assert report.reason() == "freshness: last successful load finished 2.0 h ago (limit 1.0 h)"


def test_a_warehouse_the_reports_disagree_on_fails_reconciliation(harness):
    harness.load()
    invoice = harness.sandbox.invoices()[0]
    month = invoice.due_date.replace(day=1)
    with duckdb.connect(str(harness.database)) as con:  # a load that went wrong, simulated
        con.execute("delete from teamup.invoices where id = ?", [invoice.id])
    report = check(now=finished_at(harness))
    assert results(report)["reconciliation"] is False
    assert f"1 due months: provider 0 {month:%Y-%m}" in report.reason()


def test_a_sudden_drop_in_rows_fails_the_row_counts(harness):
    harness.load()
    before = len(harness.sandbox.invoices())
    gone = harness.sandbox.invoices()[: before // 3]
    for invoice in gone:
        harness.sandbox.delete_invoice(invoice.id)
    harness.later()
    harness.load()
    report = check(now=finished_at(harness))
    assert results(report)["row counts"] is False
    after = before - len(gone)
    assert f"invoices went from {before} to {after} rows (-33%)" in report.reason()
    assert results(check(max_row_change=0.5, now=finished_at(harness)))["row counts"] is True


def test_a_failed_last_run_fails_the_check(harness):
    harness.load()
    harness.later()
    harness.sandbox.faults.fail(times=None, status=500)
    with pytest.raises(ApiUnavailableError):
        harness.load()
    report = check(now=finished_at(harness))
    assert results(report) == {
        "last run": False,
        "freshness": True,
        "reconciliation": True,
        "row counts": True,
        "audit": True,
    }
    reason = report.reason()
    assert reason.startswith("last run: the load started ") and " failed: " in reason
    assert "500" in reason and "reports/invoices.grouped/data" in reason


def test_no_warehouse_is_an_error_not_a_pass(harness):
    with pytest.raises(WarehouseError, match="run `teamup-etl load` first"):
        check()


def test_cli_exit_codes(harness):
    harness.load()
    passed = etl("check", cwd=harness.workdir)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.count("ok  ") == 5
    stale = etl("check", "--max-age-hours", "0", cwd=harness.workdir)
    assert stale.returncode == 10
    detail = stale.stdout.split("FAIL freshness: ")[1].splitlines()[0]
    assert stale.stderr.strip().splitlines() == [
        f"teamup-etl: error: check failed: freshness: {detail}"
    ]
    missing = etl("check", "--database", "nowhere.duckdb", cwd=harness.workdir)
    assert missing.returncode == 7
    negative = etl("check", "--max-row-change", "-1", cwd=harness.workdir)
    assert negative.returncode == 2
    assert_one_line_error(negative, "--max-row-change", "0 or more")


def test_check_reads_the_analyst_copy_when_asked(harness):
    harness.load()
    copy = harness.database.with_name("warehouse_analyst.duckdb")
    assert check(database=copy, now=datetime.now(UTC)).ok
