"""The source's setting checks alone: each bad value refused, naming its setting; good ones kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sources.teamup import options
from sources.teamup.exceptions import ConfigurationError
from sources.teamup.settings import DEFAULT_GROUPED_COLUMNS


def test_a_setting_is_named_by_its_variable_and_its_toml_place():
    assert options.setting_name("lag_seconds") == (
        "SOURCES__TEAMUP__LAG_SECONDS ([sources.teamup] lag_seconds)"
    )
    assert options.setting_name("request_timeout", "runtime") == (
        "RUNTIME__REQUEST_TIMEOUT ([runtime] request_timeout)"
    )


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "expected"),
    [(4, 1, 10, 4), ("4", 1, 10, 4), (" 0 ", 0, None, 0), (4.0, 1, None, 4), (10, 1, 10, 10)],
    ids=["int", "env-string", "spaces", "toml-float", "at-the-maximum"],
)
def test_whole_numbers_within_bounds_are_kept(value, minimum, maximum, expected):
    assert options.whole_number(value, "N", minimum, maximum) == expected


@pytest.mark.parametrize(
    "value",
    [-3, "-1", 11, "4.5", 4.5, "four", "", None, True, "nan", "inf"],
    ids=["negative", "negative-text", "above", "fraction-text", "fraction", "word", "empty",
         "none", "toml-true", "nan", "inf"],
)  # fmt: skip
def test_other_whole_numbers_are_refused_naming_the_setting(value):
    with pytest.raises(ConfigurationError, match=r"^N must be a whole number from 0 to 10"):
        options.whole_number(value, "N", 0, 10)


def test_numbers_above_a_bound_exclude_it():
    assert options.number("0.5", "R", above=True) == 0.5
    assert options.number(0, "R") == 0.0
    with pytest.raises(ConfigurationError, match="R must be a number above 0, not 0"):
        options.number(0, "R", above=True)
    with pytest.raises(ConfigurationError, match="R must be a number of 0 or more"):
        options.number("-0.1", "R")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, [None]), ("", [None]), ("12", [12]), (" 12, 34 ", [12, 34]), (56, [56]),
     (["7", 8], [7, 8])],
    ids=["unset", "empty", "one", "two-with-spaces", "toml-int", "toml-list"],
)  # fmt: skip
def test_provider_ids_are_read(value, expected):
    assert options.provider_ids(value) == expected


@pytest.mark.parametrize(
    "value", ["12a", "0", "-5", " , ", "1,,2", "12,12"],
    ids=["letters", "zero", "negative", "commas-only", "empty-part", "twice"],
)  # fmt: skip
def test_bad_provider_ids_are_refused_naming_the_setting(value):
    with pytest.raises(ConfigurationError, match=r"^SOURCES__TEAMUP__PROVIDER_ID \("):
        options.provider_ids(value)


def test_the_token_is_checked_and_never_shown():
    assert options.api_token("tok-abc") == "tok-abc"
    for bad in ("", None, "tok abc", "tok-abc\n", "tok\x00abc"):
        with pytest.raises(ConfigurationError, match="SOURCES__TEAMUP__API_TOKEN") as refused:
            options.api_token(bad)
        assert "abc" not in str(refused.value)


def test_run_settings_are_checked_and_kept():
    settings = options.run_settings(["status", "count", " customer "], "2024-02-29", "600", 0)
    assert settings.columns == ("status", "customer")
    assert settings.start_date == date(2024, 2, 29)
    assert (settings.overlap, settings.lag) == (timedelta(minutes=10), timedelta(0))
    assert options.run_settings(None, None, 0, 0).columns == DEFAULT_GROUPED_COLUMNS


@pytest.mark.parametrize(
    ("columns", "first", "overlap", "lag", "named"),
    [
        ([], None, 0, 0, "GROUPED_COLUMNS"),
        (["count"], None, 0, 0, "GROUPED_COLUMNS"),
        ("status", None, 0, 0, "GROUPED_COLUMNS"),
        (["status", 3], None, 0, 0, "GROUPED_COLUMNS"),
        (None, "2024-02-30", 0, 0, "START_DATE"),
        (None, None, -1, 0, "OVERLAP_SECONDS"),
        (None, None, 0, "1.5", "LAG_SECONDS"),
    ],
    ids=["no-columns", "only-count", "not-a-list", "not-names", "no-such-day", "overlap-below-0",
         "lag-fraction"],
)  # fmt: skip
def test_bad_run_settings_are_refused_naming_the_setting(columns, first, overlap, lag, named):
    with pytest.raises(ConfigurationError, match=rf"^SOURCES__TEAMUP__{named} \("):
        options.run_settings(columns, first, overlap, lag)


def test_the_rate_limit_and_the_requests_at_once():
    assert options.rate_limit(4, 60) == (4.0, 60.0)
    assert options.rate_limit(0, 60) == (None, 60.0)  # 0: no limit
    assert options.rate_limit(None, 1) == (None, 1.0)
    with pytest.raises(ConfigurationError, match="MAX_REQUESTS_PER_SECOND"):
        options.rate_limit(-4, 60)
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_WINDOW_SECONDS"):
        options.rate_limit(4, 0)
    assert options.parallel_requests("10") == 10
    for bad in (0, -3, 11):
        with pytest.raises(ConfigurationError, match=r"MAX_PARALLEL_REQUESTS.* from 1 to 10"):
            options.parallel_requests(bad)


def test_client_settings_and_the_file_format():
    assert options.client_settings("http://127.0.0.1:8/api", "Bearer") == (
        "http://127.0.0.1:8/api",
        "Bearer",
    )
    with pytest.raises(ConfigurationError, match="BASE_URL"):
        options.client_settings("ftp://goteamup.com", "Token")
    with pytest.raises(ConfigurationError, match="AUTH_SCHEME"):
        options.client_settings("https://goteamup.com", "token")
    assert options.loader_file_format(None) is None
    assert options.loader_file_format("csv") == "csv"
    with pytest.raises(ConfigurationError, match="LOADER_FILE_FORMAT"):
        options.loader_file_format("parquet")
