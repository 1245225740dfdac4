"""Run history: every load and backfill leaves a row, failed ones too; status lists them."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from pipelines import runs
from pipelines.check import check
from pipelines.status import status
from pipelines.warehouse.tables import RUN_HISTORY
from sources.teamup.exceptions import ApiUnavailableError

HISTORY = (
    "select command, outcome, error, requests, months_refreshed, rows_written, invoices_rows, "
    "customers_rows, window_end, backfill_start, backfill_end, mismatched_months, load_ids, "
    "finished_at >= started_at, duration_seconds "
    "from teamup.run_history order by started_at"
)


def test_a_load_and_a_backfill_leave_one_row_each(harness):
    harness.load()
    first_requests = harness.sandbox.log.count()
    harness.later()
    harness.backfill(date(2025, 3, 1), date(2025, 4, 30))
    rows = harness.query(HISTORY)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("load", "succeeded", None),
        ("backfill", "succeeded", None),
    ]
    load, backfill = rows
    # Counted by the sandbox, not by us: every request it answered.
    assert load[3] == first_requests
    assert backfill[3] == harness.sandbox.log.count() - first_requests
    assert backfill[4] == 2  # March and April
    assert load[6] == backfill[6] == len(harness.sandbox.invoices())
    assert load[7] == len({i.customer_id for i in harness.sandbox.invoices()})
    assert load[5] > load[6]  # every invoice, plus its grouped rows
    assert load[8] == datetime.fromisoformat(harness.watermarks()["0"])
    assert (backfill[9], backfill[10]) == (date(2025, 3, 1), date(2025, 4, 30))
    assert load[11] == backfill[11] == 0
    loaded_ids = {load_id for (load_id,) in harness.query("select load_id from teamup._dlt_loads")}
    assert set(load[12].split(",")) <= loaded_ids
    assert load[13] and backfill[13] and load[14] > 0


def test_a_failed_run_is_recorded_with_its_reason_and_moves_nothing(harness):
    harness.load()
    mark = harness.watermarks()
    harness.later()
    harness.sandbox.faults.fail(times=None, status=503)
    with pytest.raises(ApiUnavailableError):
        harness.load()
    rows = harness.query(HISTORY)
    assert [(r[0], r[1]) for r in rows] == [("load", "succeeded"), ("load", "failed")]
    error = rows[1][2]
    assert "503" in error and "reports/invoices.grouped/data" in error and "\n" not in error
    assert harness.sandbox.token not in error
    assert rows[1][3] >= 1  # the requests it made before giving up
    assert harness.watermarks() == mark


def test_status_lists_the_last_runs_newest_first(harness):
    harness.load()
    harness.later()
    harness.backfill(date(2025, 1, 1), date(2025, 1, 31))
    shown = status().text()
    runs = shown.split("last runs (run_history):\n")[1].split("\nlast loads")[0].splitlines()
    assert len(runs) == 2
    assert " backfill " in runs[0] and "succeeded" in runs[0] and "due 2025-01-01" in runs[0]
    assert " load " in runs[1] and "updated_at up to 2026-11-25 06:00" in runs[1]


def test_status_of_an_empty_warehouse_says_none_yet(harness):
    shown = status().text()
    assert shown.count("none yet") == 3
    assert not harness.database.exists()  # looking does not create the file


def test_models_adds_a_row_of_its_own_and_no_load(harness):
    """`teamup-etl models` is recorded (check reads it: views a load failed to build count
    as rebuilt), as a row of no provider that loaded nothing."""
    harness.load()
    runs.models()
    rows = harness.query(
        "select command, outcome, provider_id, requests, rows_written "
        "from teamup.run_history order by started_at"
    )
    assert [r[:3] for r in rows] == [("load", "succeeded", 0), ("models", "succeeded", None)]
    assert rows[1][3:] == (None, None)


def test_a_failed_first_run_is_recorded_and_the_next_load_is_exact(harness):
    harness.sandbox.faults.fail(times=None, status=503)
    with pytest.raises(ApiUnavailableError):
        harness.load()
    assert [r[:2] for r in harness.query(HISTORY)] == [("load", "failed")]
    harness.sandbox.faults.reset()
    harness.load()
    assert [r[:2] for r in harness.query(HISTORY)] == [("load", "failed"), ("load", "succeeded")]
    harness.assert_exact()


def test_a_run_history_from_the_first_release_is_read_then_migrated(harness):
    """A table without the columns added since (no provider_id, no invocation_id): status
    and check read it; the next run adds them and is listed above the old rows."""
    with duckdb.connect(str(harness.database)) as con:
        con.execute("create schema teamup")
        con.execute(RUN_HISTORY.ddl("teamup.run_history"))
        con.execute(
            "insert into teamup.run_history (run_id, command, outcome, error, started_at, "
            "finished_at, duration_seconds) values ('old', 'load', 'failed', 'TeamUp kept "
            "failing', '2024-01-02 03:00+00', '2024-01-02 03:05+00', 300)"
        )
    listed = status().runs
    assert [(run.run_id, run.outcome) for run in listed] == [("old", "failed")]
    assert "the load started 2024-01-02 03:00 UTC failed: TeamUp kept failing" in check().reason()
    harness.load()
    listed = status().runs
    assert [run.outcome for run in listed] == ["succeeded", "failed"]
    assert listed[0].provider_id == 0 and listed[1].run_id == "old"
    assert check().ok, check().text()


def test_each_providers_row_counts_its_own_mismatched_months(make_harness, monkeypatch):
    """The grouped report leaves credit notes out: each provider's row counts the due months
    holding one of its credit notes, as the sandbox's data says, not 0 and not the other's."""
    harness = make_harness(providers=2, invoices=600, seed=3)  # 5 months and 6
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2")
    harness.sandbox.breaks.grouped_drops_credit_notes = True
    expected = {
        provider: len(
            {
                i.due_date.replace(day=1)
                for i in harness.sandbox.invoices(provider)
                if i.is_credit_note
            }
        )
        for provider in (1, 2)
    }
    assert all(expected.values()) and expected[1] != expected[2]
    summary = harness.load()
    assert len(summary.mismatched_months) == sum(expected.values())
    rows = harness.query("select provider_id, mismatched_months from teamup.run_history")
    assert dict(rows) == expected
    harness.sandbox.breaks.grouped_drops_credit_notes = False
    harness.later()
    dues = [i.due_date for i in harness.sandbox.invoices()]
    harness.backfill(min(dues), max(dues))  # every month again: the reports agree
    rows = harness.query(
        "select provider_id, mismatched_months from teamup.run_history where command = 'backfill'"
    )
    assert dict(rows) == {1: 0, 2: 0}
