"""Each setting of docs/configuration.md with a bad value: exit 2, one line naming that setting,
nothing sent to TeamUp, no secret printed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, etl

DOCS = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
SERVER = {"TEAMUP_ETL__DESTINATION": "postgres"}  # no server is reached: refused before
NO_PASSWORD = "postgresql://loader@127.0.0.1:1/teamup"


@dataclass(frozen=True)
class Bad:
    """A bad value of one setting; `{workdir}` and `{database}` are filled in per test."""

    value: str
    command: tuple[str, ...] = ("load",)
    also: dict[str, str] = field(default_factory=dict)  # other settings the case needs
    named: str = ""  # what the line must say besides the variable


# One bad value for each variable of docs/configuration.md's table, keyed by it: the ids.
BAD = {
    "SOURCES__TEAMUP__API_TOKEN": Bad("", named="empty"),
    "SOURCES__TEAMUP__BASE_URL": Bad("goteamup.com/api/v2"),
    "SOURCES__TEAMUP__AUTH_SCHEME": Bad("Basic"),
    "SOURCES__TEAMUP__PROVIDER_ID": Bad("12a"),
    "SOURCES__TEAMUP__START_DATE": Bad("2023-13-01"),
    "SOURCES__TEAMUP__GROUPED_COLUMNS": Bad("[]"),
    "SOURCES__TEAMUP__OVERLAP_SECONDS": Bad("-1"),
    "SOURCES__TEAMUP__LAG_SECONDS": Bad("-60"),
    "SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND": Bad("-4"),
    "SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS": Bad("0"),
    "SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS": Bad("-3"),
    "SOURCES__TEAMUP__LOADER_FILE_FORMAT": Bad("parquet"),
    "MODELS__REPORTING_TIMEZONE": Bad("Mars/Olympus_Mons"),
    "TEAMUP_ETL__DESTINATION": Bad("mysql"),
    "DESTINATION__DUCKDB__CREDENTIALS": Bad("{workdir}", named="directory"),
    "DESTINATION__POSTGRES__CREDENTIALS": Bad(NO_PASSWORD, also=SERVER, named="password"),
    "TEAMUP_ETL__ANALYST_COPY": Bad("{database}", named="working file"),
    "TEAMUP_ETL__BUSY_TIMEOUT_SECONDS": Bad("-5"),
    "TEAMUP_ETL__DUCKDB_MEMORY_LIMIT": Bad("lots"),
    "TEAMUP_ETL__DUCKDB_THREADS": Bad("-2"),
    "TEAMUP_ETL__AUDIT_CYCLE_NIGHTS": Bad("-1"),
    "TEAMUP_ETL__AUDIT_MAX_REQUESTS": Bad("many"),
    "TEAMUP_ETL__LOG_FILE": Bad("/proc/teamup/etl.log"),
    "TEAMUP_ETL__CHECK_MAX_AGE_HOURS": Bad("-1", command=("check",)),
    "TEAMUP_ETL__CHECK_MAX_ROW_CHANGE": Bad("-0.5", command=("check",)),
    "DLT_DATA_DIR": Bad("/proc/teamup-dlt"),
    "RUNTIME__REQUEST_MAX_ATTEMPTS": Bad("0"),
    "RUNTIME__REQUEST_BACKOFF_FACTOR": Bad("-1"),
    "RUNTIME__REQUEST_MAX_RETRY_DELAY": Bad("soon"),
    "RUNTIME__REQUEST_TIMEOUT": Bad("0"),
}

# More bad values, of the settings where one is not enough to show the checks.
MORE_BAD = {
    "token-with-a-line-break": ("SOURCES__TEAMUP__API_TOKEN", Bad("tok-4f1c9e\n")),
    "provider-id-zero": ("SOURCES__TEAMUP__PROVIDER_ID", Bad("0")),
    "provider-id-commas-only": ("SOURCES__TEAMUP__PROVIDER_ID", Bad(" , ")),
    "provider-id-twice": ("SOURCES__TEAMUP__PROVIDER_ID", Bad("12,12")),
    "columns-not-json": ("SOURCES__TEAMUP__GROUPED_COLUMNS", Bad("status,customer")),
    "parallel-not-a-number": ("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", Bad("four")),
    "parallel-above-the-pool": ("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", Bad("11")),
    "overlap-not-a-number": ("SOURCES__TEAMUP__OVERLAP_SECONDS", Bad("ten minutes")),
    "timeout-not-a-number": ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", Bad("soon")),
    "threads-not-a-number": ("TEAMUP_ETL__DUCKDB_THREADS", Bad("two")),
    "attempts-not-a-number": ("RUNTIME__REQUEST_MAX_ATTEMPTS", Bad("six")),
    "analyst-copy-a-directory": ("TEAMUP_ETL__ANALYST_COPY", Bad("{workdir}")),
    "duckdb-file-in-no-directory": (
        "DESTINATION__DUCKDB__CREDENTIALS",
        Bad("{workdir}/missing/teamup.duckdb"),
    ),
    "postgres-not-a-url": (
        "DESTINATION__POSTGRES__CREDENTIALS",
        Bad("loader:pw-7c1d@localhost/teamup", also=SERVER),
    ),
    "check-age-not-a-number": (
        "TEAMUP_ETL__CHECK_MAX_AGE_HOURS",
        Bad("a day", command=("check",)),
    ),
}
SECRETS = ("tok-4f1c9e", "pw-7c1d")


def documented_variables() -> list[str]:
    """The variables of docs/configuration.md's table of settings, in its order."""
    table = DOCS.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return [name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)]


def run_with(harness, monkeypatch, variable: str, bad: Bad):
    database = harness.database
    values = {**bad.also, variable: bad.value}
    with monkeypatch.context() as setting:
        for name, value in values.items():
            setting.setenv(name, value.format(workdir=harness.workdir, database=database))
        return etl(*bad.command, cwd=harness.workdir)


def assert_refused_naming(harness, result, variable: str, *named: str) -> None:
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, variable, *named)
    for secret in (harness.sandbox.token, *SECRETS):
        assert secret not in result.stdout + result.stderr
    assert harness.sandbox.log.count() == 0  # refused before a request went out


def test_every_documented_setting_has_a_bad_value_case():
    documented = documented_variables()
    assert len(documented) > 20, "the table of settings was not found"
    assert [name for name in documented if name not in BAD] == []
    assert [name for name in BAD if name not in documented] == []


@pytest.mark.parametrize(("variable", "bad"), BAD.items(), ids=list(BAD))
def test_a_bad_value_is_exit_2_naming_the_setting(harness, monkeypatch, variable, bad):
    result = run_with(harness, monkeypatch, variable, bad)
    assert_refused_naming(harness, result, variable, *filter(None, [bad.named]))


@pytest.mark.parametrize(("variable", "bad"), MORE_BAD.values(), ids=list(MORE_BAD))
def test_more_bad_values_are_exit_2_naming_the_setting(harness, monkeypatch, variable, bad):
    result = run_with(harness, monkeypatch, variable, bad)
    assert_refused_naming(harness, result, variable, *filter(None, [bad.named]))


def test_a_dsn_without_password_says_how_to_give_one(harness, monkeypatch):
    """Common with trust or peer authentication; dlt requires a password all the same."""
    result = run_with(
        harness,
        monkeypatch,
        "DESTINATION__POSTGRES__CREDENTIALS",
        BAD["DESTINATION__POSTGRES__CREDENTIALS"],
    )
    assert_refused_naming(harness, result, "DESTINATION__POSTGRES__CREDENTIALS", "password")
    line = result.stderr.strip()
    assert ":password@" in line
    assert "[destination.postgres.credentials]" in line and ".dlt/secrets.toml" in line
    assert "API_TOKEN" not in line  # the token is set: the line names what is missing


def test_a_bad_value_fails_before_the_warehouse_changes(harness, monkeypatch):
    """Settings read late in a run (the views' timezone, the analyst copy) are checked before
    it loads anything: the watermark and the warehouse stay as they were."""
    assert etl("load", cwd=harness.workdir).returncode == 0
    before, mark = harness.tables(), harness.watermarks()
    harness.later()
    harness.sandbox.pay(next(i for i in harness.sandbox.invoices() if i.status == "open").id)
    harness.sandbox.log.clear()
    for variable in ("MODELS__REPORTING_TIMEZONE", "TEAMUP_ETL__ANALYST_COPY"):
        result = run_with(harness, monkeypatch, variable, BAD[variable])
        assert_refused_naming(harness, result, variable)
        assert (harness.tables(), harness.watermarks()) == (before, mark)


def test_dlts_account_of_its_lookups_goes_to_the_log_file_or_verbose(harness, monkeypatch):
    """dlt lists every place it looked for the password: worth keeping, but not before the
    one line (cron mails what a run prints)."""
    lookups = "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"  # one of the places dlt tried
    log = harness.workdir / "etl.log"
    monkeypatch.setenv("TEAMUP_ETL__LOG_FILE", str(log))
    bad = BAD["DESTINATION__POSTGRES__CREDENTIALS"]
    result = run_with(harness, monkeypatch, "DESTINATION__POSTGRES__CREDENTIALS", bad)
    assert_refused_naming(harness, result, "DESTINATION__POSTGRES__CREDENTIALS")
    written = log.read_text(encoding="utf-8")
    assert lookups in written and lookups not in result.stderr
    assert harness.sandbox.token not in written
    verbose = run_with(
        harness, monkeypatch, "DESTINATION__POSTGRES__CREDENTIALS",
        Bad(bad.value, command=("--verbose", "load"), also=bad.also),
    )  # fmt: skip
    assert verbose.returncode == 2
    assert lookups in verbose.stderr
    assert harness.sandbox.token not in verbose.stdout + verbose.stderr
