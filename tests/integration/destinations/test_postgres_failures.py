"""A PostgreSQL warehouse that refuses or goes away: one line naming it, never its password."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support import postgres
from tests.support.cli import assert_one_line_error, etl, files_containing


@pytest.fixture
def loaded(make_harness):
    """A PostgreSQL warehouse after one good load, and its watermark then."""
    harness = make_harness("postgres", invoices=300)
    harness.load()
    harness.later()
    return harness, harness.watermarks()


def with_url(harness, monkeypatch, **parts) -> str:
    url = urlsplit(harness.target.location)
    user, password = parts.get("user", url.username), parts.get("password", url.password)
    netloc = f"{user}:{password}@{url.hostname}:{url.port}"
    changed = url._replace(netloc=netloc, path=parts.get("path", url.path)).geturl()
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", changed)
    return changed


def assert_nothing_leaked(harness, result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
        assert files_containing(harness.workdir, secret) == []


def test_a_wrong_password_is_one_line_naming_the_server(loaded, monkeypatch, missing):
    harness, mark = loaded
    if not postgres.loader_password_checked(harness.target.location):
        reason = "this server accepts any password for the loader role (trust auth)"
        missing(postgres.REQUIRE_VARIABLE, reason)  # .ci/postgres checks it: CI fails
    with monkeypatch.context() as patch:
        with_url(harness, patch, password="not-the-password-81c2")
        result = etl("load", cwd=harness.workdir)
    assert result.returncode == 7
    url = urlsplit(harness.target.location)
    assert_one_line_error(result, "postgres warehouse", f"{url.hostname}:{url.port}", "password")
    assert_nothing_leaked(harness, result, "not-the-password-81c2", postgres.LOADER_PASSWORD)
    assert harness.watermarks() == mark
    harness.load()
    harness.assert_exact()


def test_a_database_that_does_not_exist(loaded, monkeypatch):
    harness, mark = loaded
    with monkeypatch.context() as patch:
        with_url(harness, patch, path="/t_000000000000")
        result = etl("load", cwd=harness.workdir)
    assert result.returncode == 7
    assert_one_line_error(result, "postgres warehouse", "t_000000000000", "does not exist")
    assert_nothing_leaked(harness, result, postgres.LOADER_PASSWORD)
    assert harness.watermarks() == mark
    harness.load()
    harness.assert_exact()


def test_a_server_that_goes_away_mid_run(loaded, postgres_server):
    """The database stops taking connections and loses those it has while the run extracts;
    the run fails on its next statement, and once it is back the next run is exact."""
    harness, mark = loaded
    first = sorted(harness.sandbox.invoices(), key=lambda i: i.id)[0]
    harness.sandbox.set_status(first.id, "voided")
    harness.later()
    database = postgres.database_of(harness.target.location)
    admin = postgres.with_database(postgres_server, database)
    gone = []

    def go_away(info) -> bool:
        if not gone and info.endpoint == "invoices":
            postgres.refuse_connections(admin)
            gone.append(info.seq)
        return False  # nothing wrong with the answer itself

    harness.sandbox.faults.fail(when=go_away, times=None)
    try:
        result = etl("load", cwd=harness.workdir)
    finally:
        postgres.allow_connections(admin)
    assert gone, "the run never reached the invoice report"
    assert result.returncode == 7
    assert_one_line_error(result, "postgres warehouse")
    assert_nothing_leaked(harness, result, postgres.LOADER_PASSWORD)
    assert harness.watermarks() == mark
    harness.sandbox.faults.reset()
    harness.load()
    harness.assert_exact()


def test_the_password_is_in_no_output_and_no_file_after_runs(loaded):
    harness, _ = loaded
    harness.sandbox.delete_invoice(harness.sandbox.invoices()[0].id)
    harness.later()
    results = [etl(*command, cwd=harness.workdir) for command in (["load"], ["status"], ["check"])]
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    # Quiet as under cron: no warning either (dlt warns of a file format PostgreSQL lacks,
    # on every table of every load, unless the load picks CSV for it).
    assert [r.stderr for r in results] == ["", "", ""]
    for result in results:
        assert_nothing_leaked(harness, result, postgres.LOADER_PASSWORD)
