"""Every way a run ends is recorded as what it is: run_history, status and check agree with
the exit code, and a run that exits non-zero never reads succeeded (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from pipelines import cli, runs
from pipelines.lock import exclusive_run
from pipelines.warehouse.models import MODELS_DIR
from tests.support import postgres
from tests.support.cli import analyst_holding, etl_started
from tests.support.harness import Harness
from tests.support.targets import DESTINATIONS, Target

INVOICES = 300  # small: each ending is a load or two
# The newest invocation's rows, its own row (no provider's) first, read with the warehouse's
# own driver: (provider_id, outcome, error).
NEWEST = (
    "select provider_id, outcome, error from teamup.run_history "
    "where coalesce(invocation_id, run_id) = (select coalesce(invocation_id, run_id) "
    "from teamup.run_history order by started_at desc limit 1) "
    "order by provider_id nulls first"
)
ALL_ROWS = "select run_id, outcome, error from teamup.run_history order by run_id"


def teamup_etl(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """`teamup-etl ARGS` in this process (the test's settings apply): code, stdout, stderr."""
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def status_runs(capsys: pytest.CaptureFixture) -> list[str]:
    """The lines `teamup-etl status` lists under last runs, newest first."""
    code, out, _ = teamup_etl(capsys, "status")
    assert code == 0
    return out.split("last runs (run_history):\n")[1].split("\nlast loads")[0].splitlines()


def assert_recorded_as(
    harness: Harness,
    capsys: pytest.CaptureFixture,
    code: int,
    rows: list[tuple[int | None, str]],
    says: str | None,
) -> None:
    """The newest invocation's rows are `rows`; status's newest line and check agree with the
    exit code: a non-zero one reads as its own row's outcome, never succeeded, and check
    fails its last run with the line the row keeps."""
    found = harness.query(NEWEST)
    assert [(provider, outcome) for provider, outcome, _ in found] == rows
    verdict, error = found[0][1], found[0][2]
    newest = status_runs(capsys)[0]
    assert f" {verdict} " in newest
    checked, out, err = teamup_etl(capsys, "check")
    if code == 0:
        assert verdict == "succeeded" and error is None
        assert checked == 0, out
        return
    assert verdict != "succeeded" and "succeeded" not in newest
    assert says is not None and says in error and says in newest
    assert checked == 10, out
    assert "FAIL last run: " in out and says in err
    assert err.startswith("teamup-etl: error: check failed: last run: ")


def _load(capsys: pytest.CaptureFixture, *flags: str) -> int:
    return teamup_etl(capsys, "load", *flags)[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _missing_token(harness, monkeypatch, capsys, tmp_path) -> int:
    monkeypatch.delenv("SOURCES__TEAMUP__API_TOKEN")
    return _load(capsys)


def _no_such_zone(harness, monkeypatch, capsys, tmp_path) -> int:
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", "Mars/Olympus_Mons")
    return _load(capsys)


def _fault(status: int) -> Callable[..., int]:
    def provoke(harness, monkeypatch, capsys, tmp_path) -> int:
        harness.sandbox.faults.fail(times=None, status=status)
        return _load(capsys)

    return provoke


def _refused_column(harness, monkeypatch, capsys, tmp_path) -> int:
    monkeypatch.setenv("SOURCES__TEAMUP__GROUPED_COLUMNS", '["status", "customer", "colour"]')
    return _load(capsys)


def _dead_network(harness, monkeypatch, capsys, tmp_path) -> int:
    monkeypatch.setenv("SOURCES__TEAMUP__BASE_URL", f"http://127.0.0.1:{_free_port()}/api/v2")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    return _load(capsys)


def _copy_unpublished(harness, monkeypatch, capsys, tmp_path) -> int:
    """The analyst copy's place is taken by a directory: refused as the run begins."""
    (harness.workdir / "occupied").mkdir()
    monkeypatch.setenv("TEAMUP_ETL__ANALYST_COPY", "occupied")
    return _load(capsys)


def _unreconciled_strict(harness, monkeypatch, capsys, tmp_path) -> int:
    return _load(capsys, "--strict")


def _a_bug_after_commit(harness, monkeypatch, capsys, tmp_path) -> int:
    """A bug of ours after every provider committed and the views built: exit 1."""

    def broken(pipeline):
        raise RuntimeError("a bug after the views")

    monkeypatch.setattr(runs, "reconcile", broken)
    return _load(capsys)


def _ctrl_c(harness, monkeypatch, capsys, tmp_path) -> int:
    """SIGINT on the run's first request to TeamUp, as a user's Ctrl-C."""
    return _signalled(harness, signal.SIGINT)


def _signalled(harness: Harness, sent: signal.Signals) -> int:
    child: list[int] = []

    def send(info) -> bool:  # the sandbox's thread, on each request the run makes
        if child:
            os.kill(child.pop(), sent)
        return False  # the answer itself is left alone

    harness.sandbox.faults.fail(when=send, times=None)
    process = etl_started("load", cwd=harness.workdir)
    child.append(process.pid)
    process.communicate(timeout=300)
    harness.sandbox.faults.reset()
    assert not child, "the run made no request"
    return process.returncode


def _models_rejected(harness, monkeypatch, capsys, tmp_path) -> int:
    """`teamup-etl models` itself, with an analyst's typo: recorded as a models run."""
    monkeypatch.setattr("pipelines.warehouse.models.MODELS_DIR", _broken_models(tmp_path))
    return teamup_etl(capsys, "models")[0]


def _broken_models(tmp_path):
    """sql/ with an analyst's typo in a new mart."""
    copy = tmp_path / "sql"
    shutil.copytree(MODELS_DIR, copy)
    (copy / "marts" / "my_view.sql").write_text(
        "select month, net_revnue from teamup_marts.monthly_revenue\n", encoding="utf-8"
    )
    return copy


@dataclass(frozen=True)
class Ending:
    name: str
    provoke: Callable[..., int]
    code: int
    rows: list[tuple[int | None, str]]  # the newest invocation's (provider, outcome)
    says: str | None = None  # in its first row's error, status's line and check's reason
    breaks: dict[str, bool] = field(default_factory=dict)  # the sandbox's, from the start


COMMITTED = (0, "succeeded")  # the provider's refresh committed
ENDINGS = [
    Ending("succeeded", lambda h, m, capsys, t: _load(capsys), 0, [COMMITTED]),
    Ending("2-missing-token", _missing_token, 2, [(None, "failed")], "api_token"),
    Ending(
        "2-unknown-zone",  # checked as the run begins, before it loads anything
        _no_such_zone,
        2,
        [(None, "failed")],
        "MODELS__REPORTING_TIMEZONE",
    ),
    Ending("3-token-rejected", _fault(401), 3, [(0, "failed")], "rejected the API token"),
    Ending("4-refused-parameter", _refused_column, 4, [(0, "failed")], "colour"),
    Ending("5-teamup-failing", _fault(503), 5, [(0, "failed")], "503"),
    Ending("6-network-down", _dead_network, 6, [(0, "failed")], "127.0.0.1"),
    Ending(  # checked as the run begins, before it loads anything
        "2-copy-a-directory", _copy_unpublished, 2, [(None, "failed")], "TEAMUP_ETL__ANALYST_COPY"
    ),
    Ending(
        "8-strict-mismatch",
        _unreconciled_strict,
        8,
        [(None, "failed"), COMMITTED],
        "invoice counts differ between invoices_grouped and invoices",
        breaks={"grouped_drops_credit_notes": True},
    ),
    Ending(
        "1-unexpected",
        _a_bug_after_commit,
        1,
        [(None, "failed"), COMMITTED],
        "RuntimeError: a bug after the views",
    ),
    Ending("130-interrupted", _ctrl_c, 130, [(0, "failed")], "interrupted"),
    Ending(
        "7-models-command-rejects",
        _models_rejected,
        7,
        [(None, "failed")],
        "sql/marts/my_view.sql: ",
    ),
]


@pytest.mark.parametrize("ending", ENDINGS, ids=[ending.name for ending in ENDINGS])
def test_each_ending_is_recorded_as_what_it_is(make_harness, monkeypatch, capsys, tmp_path, ending):
    harness = make_harness(invoices=INVOICES)
    for name, value in ending.breaks.items():
        setattr(harness.sandbox.breaks, name, value)
    harness.load()
    harness.later()
    code = ending.provoke(harness, monkeypatch, capsys, tmp_path)
    assert code == ending.code
    assert_recorded_as(harness, capsys, code, ending.rows, ending.says)


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_a_model_the_warehouse_rejects_says_the_data_committed_and_the_views_did_not(
    make_harness, monkeypatch, capsys, tmp_path, destination
):
    harness = make_harness(destination, invoices=INVOICES)
    harness.load()
    gone = sorted(harness.sandbox.invoices(), key=lambda i: i.id)[0].id
    harness.sandbox.delete_invoice(gone)
    harness.later()
    monkeypatch.setattr("pipelines.warehouse.models.MODELS_DIR", _broken_models(tmp_path))
    code, _, err = teamup_etl(capsys, "load")
    assert code == 7
    says = "1 of 1 providers committed; the views failed: sql/marts/my_view.sql: "
    assert err.startswith(f"teamup-etl: error: {says}") and "net_revnue" in err
    assert_recorded_as(harness, capsys, 7, [(None, "views_failed"), COMMITTED], says)
    # the data committed: the deleted invoice is gone from the warehouse
    assert harness.query("select count(*) from teamup.invoices where id = ?", gone) == [(0,)]
    copy = Target("duckdb", str(harness.target.path.with_name("warehouse_analyst.duckdb")))
    if destination == "duckdb":  # the analyst copy is still the last run that succeeded whole
        assert copy.rows("select count(*) from teamup.invoices where id = ?", [gone]) == [(1,)]
        assert [outcome for _, outcome, _ in copy.rows(NEWEST)] == ["succeeded"]

    # Fixed, and rebuilt with `teamup-etl models`: check passes, the copy is published.
    monkeypatch.setattr("pipelines.warehouse.models.MODELS_DIR", MODELS_DIR)
    assert teamup_etl(capsys, "models")[0] == 0
    checked, out, _ = teamup_etl(capsys, "check")
    assert checked == 0, out
    assert "its views rebuilt by `teamup-etl models` started" in out
    if destination == "duckdb":
        assert copy.rows("select count(*) from teamup.invoices where id = ?", [gone]) == [(0,)]


def test_a_crash_reads_running_until_the_next_run_marks_it_crashed(make_harness, capsys):
    """SIGKILL mid-run (the machine going down): the run's own row, written as it began,
    says running; check fails; the next run, holding the lock, marks it crashed."""
    harness = make_harness(invoices=INVOICES)
    harness.load()
    harness.later()
    assert _signalled(harness, signal.SIGKILL) == -signal.SIGKILL
    assert [(p, outcome) for p, outcome, _ in harness.query(NEWEST)] == [(None, "running")]
    newest = status_runs(capsys)[0]
    assert " running " in newest and "no end recorded" in newest
    checked, _, err = teamup_etl(capsys, "check")
    assert checked == 10
    assert "last run: the load started " in err and " has not finished: no end recorded" in err

    assert _load(capsys) == 0
    assert_recorded_as(harness, capsys, 0, [COMMITTED], None)
    ((outcome, error),) = harness.query(
        "select outcome, error from teamup.run_history where provider_id is null"
    )
    assert outcome == "crashed" and error.startswith("ended without recording how (killed")
    assert "found by the load started " in error
    assert any(" crashed " in line for line in status_runs(capsys))
    harness.assert_exact()


def test_a_mismatch_without_strict_exits_0_and_check_fails_reconciliation_not_the_run(
    make_harness, capsys
):
    harness = make_harness(invoices=INVOICES)
    harness.sandbox.breaks.grouped_drops_credit_notes = True
    code, _, err = teamup_etl(capsys, "load")
    assert code == 0 and err.startswith("teamup-etl: warning: invoice counts differ")
    ((outcome, months),) = harness.query(
        "select outcome, mismatched_months from teamup.run_history"
    )
    assert outcome == "succeeded" and months > 0
    assert " succeeded " in status_runs(capsys)[0]
    checked, out, _ = teamup_etl(capsys, "check")
    assert checked == 10
    assert "ok   last run: " in out and "FAIL reconciliation: " in out


def _lock_held(harness, monkeypatch, capsys) -> int:
    with exclusive_run(harness.workdir / "dlt_data" / "pipelines", runs.PIPELINE_NAME):
        return _load(capsys)


def _file_held(harness, monkeypatch, capsys) -> int:
    monkeypatch.setenv("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "0")
    with analyst_holding(harness.database):
        return _load(capsys)


def _backwards_range(harness, monkeypatch, capsys) -> int:
    return teamup_etl(capsys, "backfill", "--start", "2025-03-01", "--end", "2025-01-31")[0]


@pytest.mark.parametrize(
    ("refuse", "code"),
    [(_lock_held, 9), (_file_held, 7), (_backwards_range, 2)],
    ids=["9-another-run", "7-file-held", "2-usage"],
)
def test_a_run_refused_before_it_starts_changes_and_records_nothing(
    make_harness, monkeypatch, capsys, refuse, code
):
    """No lock, no file, or no run at all: nothing to record it in. run_history, status and
    check stay as the run before left them (check's freshness catches a job that never runs)."""
    harness = make_harness(invoices=INVOICES)
    harness.load()
    harness.later()
    before, listed = harness.query(ALL_ROWS), status_runs(capsys)
    requests = harness.sandbox.log.count()
    assert refuse(harness, monkeypatch, capsys) == code
    assert harness.query(ALL_ROWS) == before
    assert status_runs(capsys) == listed
    assert harness.sandbox.log.count() == requests


def test_a_server_that_goes_away_leaves_the_run_running_until_the_next_marks_it_crashed(
    make_harness, capsys, postgres_server
):
    """PostgreSQL stops taking connections mid-run: exit 7, and the row of how it ended cannot
    be written; the run's own row, written as it began, says running (never succeeded)."""
    harness = make_harness("postgres", invoices=INVOICES)
    harness.load()
    harness.later()
    admin = postgres.with_database(postgres_server, postgres.database_of(harness.target.location))
    gone: list[int] = []

    def go_away(info) -> bool:
        if not gone and info.endpoint == "invoices":
            postgres.refuse_connections(admin)
            gone.append(info.seq)
        return False

    harness.sandbox.faults.fail(when=go_away, times=None)
    try:
        code, _, err = teamup_etl(capsys, "load")
    finally:
        postgres.allow_connections(admin)
    harness.sandbox.faults.reset()
    assert gone and code == 7 and "postgres warehouse" in err
    assert [(p, outcome) for p, outcome, _ in harness.query(NEWEST)] == [(None, "running")]
    assert " running " in status_runs(capsys)[0]
    checked, _, err = teamup_etl(capsys, "check")
    assert checked == 10 and " has not finished: no end recorded" in err

    assert _load(capsys) == 0
    assert_recorded_as(harness, capsys, 0, [COMMITTED], None)
    assert harness.query("select outcome from teamup.run_history where provider_id is null") == [
        ("crashed",)
    ]
