"""What `teamup-etl` leaves behind under cron: one summary line, a log file, a report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from pipelines import cli
from pipelines.failures.messages import RedactingFilter
from tests.support.cli import analyst_holding, etl, files_containing


def test_under_cron_a_load_prints_one_summary_line_and_nothing_else(harness):
    loaded = etl("load", cwd=harness.workdir)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stderr == ""
    [line] = loaded.stdout.splitlines()
    requests = harness.sandbox.log.count()
    assert line.startswith("load: ") and f" {requests} requests" in line


@pytest.mark.parametrize("how", ["setting", "flag"])
def test_the_log_file_gets_the_runs_and_their_failures_never_the_token(harness, monkeypatch, how):
    log = harness.workdir / "logs" / "teamup-etl.log"
    args = ("--log-file", str(log)) if how == "flag" else ()
    if how == "setting":
        monkeypatch.setenv("TEAMUP_ETL__LOG_FILE", str(log))
    assert etl(*args, "load", cwd=harness.workdir).returncode == 0
    monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", "wrong-token-in-a-log-5150")
    harness.later()
    failed = etl(*args, "-v", "load", cwd=harness.workdir)
    assert failed.returncode == 3
    text = log.read_text()
    assert " INFO pipelines.cli: load: " in text  # the summary line, dated
    assert " ERROR pipelines.cli: load failed: TeamUp rejected the API token" in text
    assert "Traceback" in text  # verbose: the traceback is in the file too
    assert "wrong-token-in-a-log-5150" not in text
    assert harness.sandbox.token not in text
    assert files_containing(harness.workdir, "wrong-token-in-a-log-5150") == []


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The CLI configures logging for its process; in the test process it is put back after."""
    loggers = [logging.getLogger(), logging.getLogger("dlt")]
    saved = [(lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:  # handlers earlier tests left on pytest's closed capture streams
        lg.handlers = [
            h for h in lg.handlers if not getattr(getattr(h, "stream", None), "closed", False)
        ]
    logging.getLogger("dlt").propagate = False  # as dlt sets it up, whichever test ran first
    yield
    for lg, (handlers, filters, level, propagate) in zip(loggers, saved, strict=True):
        for handler in lg.handlers:
            if handler not in handlers:
                handler.close()
        lg.handlers, lg.filters, lg.level, lg.propagate = handlers, filters, level, propagate


@pytest.mark.parametrize("source", ["our-logger", "dlt-logger"])
def test_the_log_filter_redacts_the_token_in_messages_and_tracebacks(
    isolated, monkeypatch, restored_logging, capsys, source
):
    token = "s3cr3t-token-for-the-filter"
    monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", token)
    log = isolated / "run.log"
    cli._configure_logging(verbose=False, log_file=log)
    # dlt's logger may have been set up already (in this process, by an earlier test):
    # records on it must be redacted all the same, on the console and in the file.
    chosen = logging.getLogger("pipelines.sources" if source == "our-logger" else "dlt")
    chosen.warning("sending Authorization: Token %s", token)
    try:
        raise RuntimeError(f"request failed with headers {{'Authorization': '{token}'}}")
    except RuntimeError:
        chosen.exception("a library logged this")
    # Only the file: console handlers left by earlier tests may hold pytest's closed streams.
    for handler in [*logging.getLogger().handlers, *logging.getLogger("dlt").handlers]:
        if isinstance(handler, logging.FileHandler):
            handler.flush()
    text = log.read_text()
    console = capsys.readouterr().err
    assert token not in text and token not in console
    assert text.count("***") == 2  # in the message, and in the traceback's exception line
    assert "RuntimeError" in text and "sending Authorization: Token ***" in console


def test_report_reads_the_analyst_copy_while_the_working_file_is_busy(harness):
    assert etl("load", cwd=harness.workdir).returncode == 0
    with analyst_holding(harness.database):
        made = etl("report", "--output", "out/revenue.html", cwd=harness.workdir)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("report: 9 charts, ")  # revenue 4, members 5
    page = (harness.workdir / "out" / "revenue.html").read_text()
    assert page.startswith("<!doctype html>") or page.lower().startswith("<!doctype html>")


def test_report_before_any_load_says_to_load_first(harness):
    made = etl("report", cwd=harness.workdir)
    assert made.returncode == 7
    assert "teamup-etl load" in made.stderr and len(made.stderr.strip().splitlines()) == 1


def test_a_second_filter_still_redacts_a_traceback_the_first_one_formatted():
    token = "the-second-token-7788"
    try:
        raise RuntimeError(f"bad header {token}")
    except RuntimeError:
        failure = sys.exc_info()
    record = logging.LogRecord("dlt", logging.ERROR, __file__, 1, "failed", None, failure)
    for redacting in (RedactingFilter("some-other-token"), RedactingFilter(token)):
        assert redacting.filter(record)
    assert token not in logging.Formatter().format(record)
    assert "bad header ***" in record.exc_text
