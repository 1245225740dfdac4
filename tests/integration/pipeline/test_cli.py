"""`teamup-etl` as a scheduler runs it: exit codes, one clear line on failure, never the token."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, etl, etl_started, files_containing

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_load_status_and_backfill_exit_zero(harness):
    loaded = etl("load", cwd=harness.workdir)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("load: ")
    status = etl("status", cwd=harness.workdir)
    assert status.returncode == 0
    assert "provider 0: 2026-11-25T06:00:00+00:00" in status.stdout
    assert "invoices_grouped: " in status.stdout
    backfill = etl("backfill", "--start", "2025-01-01", "--end", "2025-02-28", cwd=harness.workdir)
    assert backfill.returncode == 0, backfill.stderr
    assert "2 months" in backfill.stdout


def test_a_rejected_token_is_exit_3_and_never_printed(harness, monkeypatch):
    token = "wrong-token-9f8e7d"
    monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", token)
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 3
    assert_one_line_error(result, "rejected the API token", "401", "reports/invoices.grouped/data")
    assert token not in result.stdout + result.stderr
    assert etl("status", cwd=harness.workdir).stdout.count("none yet") >= 1


def test_a_missing_token_is_a_configuration_error(harness, monkeypatch):
    monkeypatch.delenv("SOURCES__TEAMUP__API_TOKEN")
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 2
    assert_one_line_error(result, "api_token")


def test_a_refused_parameter_is_exit_4_naming_it(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__GROUPED_COLUMNS", '["status", "customer", "colour"]')
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 4
    assert_one_line_error(result, "columns", "colour")


def test_a_dead_network_is_exit_6_naming_the_host(harness, monkeypatch):
    port = free_port()
    monkeypatch.setenv("SOURCES__TEAMUP__BASE_URL", f"http://127.0.0.1:{port}/api/v2")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 6
    assert_one_line_error(result, f"127.0.0.1:{port}")


def test_verbose_shows_the_traceback_but_not_the_token(harness, monkeypatch):
    token = "wrong-token-verbose-1234"
    monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", token)
    result = etl("--verbose", "load", cwd=harness.workdir)
    assert result.returncode == 3
    assert "Traceback" in result.stderr
    assert token not in result.stdout + result.stderr


def test_an_unknown_auth_scheme_is_a_configuration_error(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__AUTH_SCHEME", "Basic")
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 2
    assert_one_line_error(result, "auth_scheme")


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_both_auth_schemes_load(harness, monkeypatch, scheme):
    monkeypatch.setenv("SOURCES__TEAMUP__AUTH_SCHEME", scheme)
    assert etl("load", cwd=harness.workdir).returncode == 0
    # the sandbox takes either: what it received shows the setting was used
    assert {entry.auth_scheme for entry in harness.sandbox.log.entries} == {scheme}


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SOURCES__TEAMUP__BASE_URL", "goteamup.com/api/v2", "base_url"),
        ("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "four", "max_parallel_requests"),
        ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "soon", "TEAMUP_ETL__BUSY_TIMEOUT_SECONDS"),
        ("TEAMUP_ETL__LOG_FILE", "/proc/teamup/etl.log", "log file /proc/teamup/etl.log"),
        ("DLT_DATA_DIR", "/proc/teamup-dlt", "DLT_DATA_DIR"),
        ("SOURCES__TEAMUP__LOADER_FILE_FORMAT", "parquet", "loader_file_format"),
    ],
    ids=[
        "url-without-scheme",
        "parallel-not-a-number",
        "timeout-not-a-number",
        "log-file",
        "data-dir",
        "file-format-needing-pyarrow",
    ],
)
def test_a_bad_setting_is_exit_2_in_one_line_naming_it(
    harness, monkeypatch, variable, value, named
):
    with monkeypatch.context() as setting:
        setting.setenv(variable, value)
        result = etl("load", cwd=harness.workdir)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, named)
    assert harness.watermarks() == {}
    assert etl("load", cwd=harness.workdir).returncode == 0  # nothing left behind to trip on


def test_backfill_rejects_a_bad_date(harness):
    result = etl("backfill", "--start", "2025-13-01", "--end", "2025-12-31", cwd=harness.workdir)
    assert result.returncode == 2
    assert_one_line_error(result, "--start", "not a YYYY-MM-DD date")


def test_the_demo_loads_a_sandbox_and_says_how_to_query(isolated):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.demo", "--invoices", "400"],
        cwd=isolated,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "teamup.invoices_grouped" in result.stdout
    assert "explore this demo's warehouse" in result.stdout
    assert (isolated / ".demo" / "teamup_warehouse.duckdb").exists()
    assert (isolated / ".demo" / "teamup_warehouse_analyst.duckdb").exists()
    assert "report: 9 charts" in result.stdout  # revenue 4, members 5
    assert (isolated / ".demo" / "teamup_report.html").stat().st_size > 10_000
    assert "requests would take about" in result.stdout  # under TeamUp's real limit


def test_the_commands_the_demo_prints_explore_its_warehouse(isolated):
    """Pasted into a shell as printed, after the demo: status, check, report and a query all
    work on the demo's own warehouse (not ./teamup_warehouse.duckdb)."""
    demo = subprocess.run(
        [sys.executable, "-m", "pipelines.demo", "--invoices", "300"],
        cwd=isolated, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    printed = demo.stdout.split("explore this demo's warehouse", 1)[1].splitlines()[1:]
    lines = [line.strip() for line in printed if line.strip()]
    assert lines[0].startswith("export ") and len(lines) == 5
    (isolated / ".demo" / "teamup_report.html").unlink()
    explored = subprocess.run(
        ["bash", "-ec", "\n".join(lines)],
        cwd=isolated, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert explored.returncode == 0, explored.stderr
    assert "provider 0:" in explored.stdout  # status: the demo's watermark
    assert "ok   freshness" in explored.stdout  # check passed
    assert (isolated / ".demo" / "teamup_report.html").exists()  # the report, written again
    assert "net_revenue" in explored.stdout  # the query


def test_the_token_is_in_no_file_after_a_good_and_a_bad_run(harness, monkeypatch):
    assert etl("load", cwd=harness.workdir).returncode == 0
    harness.sandbox.faults.fail(times=None, status=500)
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    failed = etl("--verbose", "load", cwd=harness.workdir)
    assert failed.returncode == 5
    assert harness.sandbox.token not in failed.stdout + failed.stderr
    assert files_containing(harness.workdir, harness.sandbox.token) == []


def test_a_second_run_while_one_holds_the_lock_exits_9_and_changes_nothing(harness):
    from pipelines import runs
    from pipelines.lock import exclusive_run

    with exclusive_run(harness.workdir / "dlt_data" / "pipelines", runs.PIPELINE_NAME):
        result = etl("load", cwd=harness.workdir)
    assert result.returncode == 9
    assert_one_line_error(result, "in progress", "pid ")
    assert harness.sandbox.log.count() == 0
    assert etl("load", cwd=harness.workdir).returncode == 0  # the lock went with its holder


def first_to_exit(processes: list[subprocess.Popen], timeout: float = 120) -> subprocess.Popen:
    """The first of the processes to end (the deadline bounds a hang; it is no timing guess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                return process
        time.sleep(0.05)
    raise AssertionError(f"none of {len(processes)} processes ended in {timeout}s")


def test_two_loads_started_at_once_one_runs_the_other_exits_9(harness):
    # The run that takes the lock is held at its first request until the other has ended,
    # so the two overlap whatever the machine's load.
    hold = harness.sandbox.faults.hold()
    command = [sys.executable, "-m", "pipelines.cli", "load"]
    both = [
        subprocess.Popen(command, cwd=harness.workdir, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        assert hold.wait(1), "neither run reached the API"
        refused = first_to_exit(both)
        assert refused.returncode == 9, refused.stderr.read()
        assert [info.seq for info in hold.held] == [1]  # the refused run asked nothing
    finally:
        hold.release()
    (runner,) = [process for process in both if process is not refused]
    assert runner.wait(timeout=300) == 0, runner.stderr.read()
    harness.assert_exact()


@pytest.mark.parametrize("fault", ["html-once", "total-changes-once"])
def test_a_page_asked_again_that_then_passes_prints_only_the_summary(harness, fault):
    """Cron mails what a run prints: a retry that succeeded is no news (it goes to the log
    file at INFO), so stderr stays empty."""
    faults = harness.sandbox.faults
    grouped = lambda info: info.endpoint == "invoices.grouped"  # noqa: E731
    if fault == "html-once":
        faults.fail(when=grouped, status=200, body="<html>busy</html>", content_type="text/html")
    else:
        faults.tamper(
            lambda page: {**page, "total": page["total"] + 1},
            when=lambda info: grouped(info) and info.params.get("offset") == ["100"],
        )
    result = etl("load", cwd=harness.workdir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("load: ")
    assert len(harness.sandbox.log.requests("invoices.grouped")) > 1


def test_ctrl_c_during_a_load_is_exit_130_in_one_line_and_the_watermark_stays(harness):
    """dlt wraps the KeyboardInterrupt of its extract step; it is still the user's Ctrl-C."""
    # The sandbox holds the run's first request (asked on its main thread, in the extract,
    # past start-up) until the run has ended: the signal lands while the load waits on it.
    hold = harness.sandbox.faults.hold(times=1)
    process = etl_started("load", cwd=harness.workdir)
    try:
        assert hold.wait(1), "the load never reached the API"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        hold.release()
        process.kill()  # if still running (a test failed): no load left behind
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["teamup-etl: interrupted"]
    assert harness.sandbox.log.count() == 1  # nothing asked after the signal
    assert harness.watermarks() == {}
