"""After each run, invoice counts per due month agree between invoices_grouped and invoices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import cli, runs
from pipelines.failures.errors import ReconciliationError
from pipelines.warehouse.models import reconcile
from pipelines.warehouse.reconcile import MonthMismatch
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
    assert warned.stdout.startswith("models: 15 views built")
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


def credit_note_months(sandbox) -> dict[date, tuple[int, int]]:
    """Due months holding credit notes, with (invoices less credit notes, all invoices): the
    counts each report gives when the grouped report leaves credit notes out."""
    months: dict[date, list[int]] = {}
    for invoice in sandbox.invoices():
        counts = months.setdefault(invoice.due_date.replace(day=1), [0, 0])
        counts[0] += not invoice.is_credit_note
        counts[1] += 1
    return {m: (g, n) for m, (g, n) in months.items() if g != n}


def test_strict_load_and_backfill_fail_on_a_real_mismatch(harness, capsys):
    """TeamUp's grouped report stops counting credit notes: the two reports disagree in every
    month holding one. The counts are recorded, a strict run is exit 8, naming them."""
    harness.sandbox.breaks.grouped_drops_credit_notes = True
    expected = credit_note_months(harness.sandbox)
    assert expected, "the sandbox should hold credit notes"
    summary = harness.load()
    assert summary.mismatched_months == [
        MonthMismatch(0, month, g, n) for month, (g, n) in sorted(expected.items())
    ]
    (recorded,) = harness.query("select mismatched_months from teamup.run_history")
    assert recorded == (len(expected),)
    first, (grouped, listed) = min(expected.items())
    with pytest.raises(ReconciliationError, match=f"provider 0 {first:%Y-%m}") as raised:
        runs.load(strict=True)
    assert len(raised.value.mismatches) == len(expected)
    with pytest.raises(ReconciliationError):
        runs.backfill(first, first.replace(day=28), strict=True)

    capsys.readouterr()
    assert cli.main(["load"]) == 0
    err = capsys.readouterr().err
    assert "teamup-etl: warning: " in err and f"provider 0 {first:%Y-%m}" in err
    assert cli.main(["load", "--strict"]) == 8
    start, end = f"{first:%Y-%m-%d}", f"{first.replace(day=28):%Y-%m-%d}"
    assert cli.main(["backfill", "--start", start, "--end", end, "--strict"]) == 8
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("teamup-etl: error: ") for line in err)
    assert f"invoices_grouped {grouped}, invoices {listed}" in err[-1]
    counts = harness.query(
        "select mismatched_months from teamup.run_history where outcome = 'succeeded'"
    )
    assert counts == [(len(expected),)] * 6  # every run recorded what it found
