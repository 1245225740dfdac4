"""The settings' decisions: what dlt resolves, which values pass, and how a bad one is named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pipelines.check import Thresholds
from pipelines.failures.errors import ConfigurationError
from pipelines.settings import EtlSettings, ModelSettings, check_requests, configured
from pipelines.warehouse.duckdb_file import analyst_copy_path, duckdb_limits

# One value dlt cannot coerce (or one out of bounds) per setting, and what the line says.
BAD = [
    ("TEAMUP_ETL__DESTINATION", "mysql", "must be one of duckdb, postgres, motherduck"),
    ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "-5", "must be a number of 0 or more"),
    ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "soon", "is not a number"),
    ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "nan", "must be a number of 0 or more"),
    ("TEAMUP_ETL__DUCKDB_THREADS", "-2", "must be a whole number of 0 or more"),
    ("TEAMUP_ETL__DUCKDB_THREADS", "two", "is not a whole number"),
    ("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "-1", "must be a whole number of 0 or more"),
    ("TEAMUP_ETL__AUDIT_MAX_REQUESTS", "many", "is not a whole number"),
    ("TEAMUP_ETL__CHECK_MAX_AGE_HOURS", "a day", "is not a number"),
    ("TEAMUP_ETL__CHECK_MAX_ROW_CHANGE", "-0.5", "must be a number of 0 or more"),
]


def test_nothing_set_is_the_specs_defaults():
    resolved = configured(EtlSettings)
    assert dict(resolved) == dict(EtlSettings())
    assert resolved.destination == "duckdb" and resolved.busy_timeout_seconds == 300
    assert configured(ModelSettings).reporting_timezone == "UTC"


@pytest.mark.parametrize(("variable", "value", "says"), BAD, ids=[f"{v}={x}" for v, _, x in BAD])
def test_a_bad_value_is_a_configuration_error_naming_the_setting(
    monkeypatch, variable, value, says
):
    """A ConfigurationError is exit 2; the line names the variable and its TOML place."""
    monkeypatch.setenv(variable, value)
    key = variable.split("__", 1)[1].lower()
    with pytest.raises(ConfigurationError) as raised:
        configured(EtlSettings)
    assert str(raised.value).startswith(f"{variable} ([teamup_etl] {key}) {says}")


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("TEAMUP_ETL__DESTINATION", " Postgres ", "destination", "postgres"),
        ("TEAMUP_ETL__DESTINATION", "", "destination", "duckdb"),
        ("TEAMUP_ETL__BUSY_TIMEOUT_SECONDS", "0", "busy_timeout_seconds", 0.0),
        ("TEAMUP_ETL__DUCKDB_THREADS", "4", "duckdb_threads", 4),
        ("TEAMUP_ETL__DUCKDB_MEMORY_LIMIT", " 1GB ", "duckdb_memory_limit", "1GB"),
        ("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "0", "audit_cycle_nights", 0),
        ("TEAMUP_ETL__CHECK_MAX_ROW_CHANGE", "0.5", "check_max_row_change", 0.5),
        ("TEAMUP_ETL__ANALYST_COPY", "", "analyst_copy", ""),
    ],
)
def test_a_good_value_is_coerced_to_its_type(monkeypatch, variable, value, field, expected):
    monkeypatch.setenv(variable, value)
    resolved = getattr(configured(EtlSettings), field)
    assert (resolved, type(resolved)) == (expected, type(expected))


@pytest.mark.parametrize(
    ("value", "expected"), [("Asia/Tokyo", "Asia/Tokyo"), (" Etc/GMT+5 ", "Etc/GMT+5"), ("", "UTC")]
)
def test_the_reporting_timezone_is_a_zone_this_machine_knows(monkeypatch, value, expected):
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", value)
    assert configured(ModelSettings).reporting_timezone == expected


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "UTC'; drop view x; --", "Europe/"])
def test_a_zone_that_is_no_zone_is_refused(monkeypatch, value):
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", value)
    with pytest.raises(ConfigurationError, match=r"^MODELS__REPORTING_TIMEZONE must be an IANA"):
        configured(ModelSettings)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RUNTIME__REQUEST_MAX_ATTEMPTS", "0", "must be a whole number of 1 or more"),
        ("RUNTIME__REQUEST_MAX_ATTEMPTS", "six", "is not a whole number"),
        ("RUNTIME__REQUEST_BACKOFF_FACTOR", "-1", "must be a number of 0 or more"),
        ("RUNTIME__REQUEST_MAX_RETRY_DELAY", "soon", "is not a number"),
        ("RUNTIME__REQUEST_TIMEOUT", "0", "must be a number above 0"),
    ],
)
def test_dlts_request_settings_are_bounded(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    key = variable.split("__", 1)[1].lower()
    with pytest.raises(ConfigurationError) as raised:
        check_requests()
    assert str(raised.value).startswith(f"{variable} ([runtime] {key}) {says}")


def test_the_check_options_win_over_the_settings_and_are_bounded_too():
    settings = EtlSettings(check_max_age_hours=26.0, check_max_row_change=0.25)
    assert Thresholds.configured(settings=settings) == Thresholds(timedelta(hours=26), 0.25)
    given = Thresholds.configured(2, 0.5, settings)
    assert given == Thresholds(timedelta(hours=2), 0.5)
    with pytest.raises(ConfigurationError, match=r"^--max-age-hours must be a number of 0"):
        Thresholds.configured(-1, None, settings)


@pytest.mark.parametrize(
    ("memory", "threads", "expected"),
    [
        ("64MB", 1, {"memory_limit": "64MB", "threads": 1}),
        ("", 0, {}),  # DuckDB's own defaults
        ("1GB", 0, {"memory_limit": "1GB"}),
    ],
)
def test_duckdb_limits_leave_out_what_is_turned_off(memory, threads, expected):
    settings = EtlSettings(duckdb_memory_limit=memory, duckdb_threads=threads)
    assert duckdb_limits(settings) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "work/teamup_warehouse_analyst.duckdb"),
        ("shared/copy.duckdb", "work/shared/copy.duckdb"),
        ("", None),
        ("False", None),  # TOML's false, as dlt gives it for a text setting
        (" off ", None),
    ],
)
def test_the_analyst_copys_place(tmp_path, value, expected):
    working = tmp_path / "work" / "teamup_warehouse.duckdb"
    working.parent.mkdir()
    copy = analyst_copy_path(working, value)
    assert copy == (None if expected is None else tmp_path / expected)


@pytest.mark.parametrize(("value", "says"), [("w.duckdb", "working file"), (".", "directory")])
def test_the_analyst_copy_is_neither_the_working_file_nor_a_directory(tmp_path, value, says):
    working = tmp_path / "w.duckdb"
    with pytest.raises(ConfigurationError, match=f"^TEAMUP_ETL__ANALYST_COPY .*{says}"):
        analyst_copy_path(working, value)


def test_settings_are_read_from_the_environment_not_from_a_bare_key(monkeypatch):
    """dlt falls back to a key without its section for a source; ours must not."""
    monkeypatch.setenv("DESTINATION", "mysql")
    monkeypatch.setenv("BUSY_TIMEOUT_SECONDS", "-1")
    assert configured(EtlSettings).destination == "duckdb"


def test_paths_given_are_plain_text(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMUP_ETL__LOG_FILE", str(tmp_path / "etl.log"))
    assert Path(str(configured(EtlSettings).log_file)) == tmp_path / "etl.log"
