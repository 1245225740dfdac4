"""After each run, invoice counts per due month agree between invoices_grouped and invoices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import cli, runs
from pipelines.exceptions import ReconciliationError
from pipelines.reconcile import MonthMismatch
from pipelines.views import reconcile
from tests.support.cli import etl


def corrupt(database: Path) -> tuple[date, date]:
    """One group counted twice over in one month, one invoice row lost in another."""
    with duckdb.connect(str(database)) as con:
        months = [
            m
            for (m,) in con.execute(
                "select distinct due_month from teamup.invoices order by 1"
            ).fetchall()
        ]
        grouped_month, invoices_month = months[3], months[7]
        con.execute(
            "update teamup.invoices_grouped set invoice_count = invoice_count + 2 "
            "where group_key = (select min(group_key) from teamup.invoices_grouped "
            "where due_month = ?)",
            [grouped_month],
        )
        con.execute(
            "delete from teamup.invoices where id = "
            "(select min(id) from teamup.invoices where due_month = ?)",
            [invoices_month],
        )
    return grouped_month, invoices_month


def counts(database: Path, month: date) -> tuple[int, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        grouped = con.execute(
            "select sum(invoice_count) from teamup.invoices_grouped where due_month = ?", [month]
        ).fetchone()[0]
        listed = con.execute(
            "select count(*) from teamup.invoices where due_month = ?", [month]
        ).fetchone()[0]
    return int(grouped), int(listed)


def test_a_corrupted_row_is_reported_with_its_month(harness):
    summary = harness.load()
    assert summary.mismatched_months == []
    grouped_month, invoices_month = corrupt(harness.database)
    g1, n1 = counts(harness.database, grouped_month)
    g2, n2 = counts(harness.database, invoices_month)
    assert reconcile(runs.make_pipeline()) == [
        MonthMismatch(0, grouped_month, g1, n1),
        MonthMismatch(0, invoices_month, g2, n2),
    ]
    assert g1 == n1 + 2 and g2 == n2 + 1


def test_a_mismatch_warns_and_with_strict_is_exit_8(harness):
    harness.load()
    grouped_month, invoices_month = corrupt(harness.database)
    warned = etl("models", cwd=harness.workdir)
    assert warned.returncode == 0, warned.stderr
    assert warned.stdout.startswith("models: 11 views built")
    lines = warned.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("teamup-etl: warning: ")
    assert f"provider 0 {grouped_month:%Y-%m}" in lines[0]
    assert f"provider 0 {invoices_month:%Y-%m}" in lines[0]

    failed = etl("models", "--strict", cwd=harness.workdir)
    assert failed.returncode == 8
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("teamup-etl: error: ")
    assert f"{grouped_month:%Y-%m}" in lines[0] and f"{invoices_month:%Y-%m}" in lines[0]


def test_the_next_load_heals_the_corruption_and_passes_strict(harness):
    harness.load()
    corrupt(harness.database)
    harness.later()
    assert runs.load(strict=True).mismatched_months == []


def test_strict_load_and_backfill_fail_on_a_mismatch(harness, monkeypatch, capsys):
    month = MonthMismatch(0, date(2025, 3, 1), 41, 40)
    monkeypatch.setattr(runs, "reconcile", lambda pipeline: [month])
    assert runs.load().mismatched_months == [month]
    with pytest.raises(ReconciliationError, match="provider 0 2025-03") as raised:
        runs.load(strict=True)
    assert raised.value.mismatches == [month]
    with pytest.raises(ReconciliationError):
        runs.backfill(date(2025, 3, 1), date(2025, 3, 31), strict=True)

    capsys.readouterr()
    assert cli.main(["load"]) == 0
    err = capsys.readouterr().err
    assert "teamup-etl: warning: " in err and "provider 0 2025-03" in err
    assert cli.main(["load", "--strict"]) == 8
    assert cli.main(["backfill", "--start", "2025-03-01", "--end", "2025-03-31", "--strict"]) == 8
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("teamup-etl: error: ") for line in err)
    assert "invoices_grouped 41, invoices 40" in err[-1]
