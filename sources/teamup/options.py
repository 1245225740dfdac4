"""The source's settings: each checked as it is resolved, and as one run works with them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from .exceptions import ConfigurationError
from .records.grouped import canonical
from .settings import (
    CUSTOMER_COLUMNS,
    DEFAULT_GROUPED_COLUMNS,
    LOADER_FILE_FORMATS,
    PARTITION_MONTH_COLUMNS,
)

SECTION = "sources.teamup"
# The source's settings, as docs/configuration.md lists them (a dlt error names a field only).
SOURCE_SETTINGS = (
    "api_token",
    "base_url",
    "auth_scheme",
    "provider_id",
    "start_date",
    "grouped_columns",
    "overlap_seconds",
    "lag_seconds",
    "max_requests_per_second",
    "rate_limit_window_seconds",
    "max_parallel_requests",
    "loader_file_format",
)
AUTH_SCHEMES = ("Token", "Bearer")
# Queries at once beyond requests' connection pool (10 per host) only open connections that
# are then discarded, each with a warning on stderr; the rate limit binds long before.
MAX_PARALLEL_REQUESTS = 10


@dataclass(frozen=True)
class RunSettings:
    columns: tuple[str, ...]  # the grouped report's attribute columns, as configured
    start_date: date | None
    overlap: timedelta
    lag: timedelta

    @property
    def by_customer(self) -> bool:
        """Partitions are (customer, due month); without a customer column, due months."""
        return any(column in CUSTOMER_COLUMNS for column in self.columns)

    @property
    def by_status(self) -> bool:
        return "status" in self.columns

    @property
    def sort(self) -> list[str]:
        """Every grouping column, so offset paging walks one fixed order."""
        keys = [canonical(column) for column in self.columns]
        return list(dict.fromkeys([*PARTITION_MONTH_COLUMNS, *keys]))


def setting_name(key: str, section: str = SECTION) -> str:
    """A setting as a message names it: its environment variable, then its TOML place."""
    variable = "__".join(part.upper() for part in (*section.split("."), key))
    return f"{variable} ([{section}] {key})"


def whole_number(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """`value` (a TOML number or an environment string) as an int within the bounds."""
    number = _number(value)
    if (
        number is None
        or not number.is_integer()
        or number < minimum
        or (maximum is not None and number > maximum)
    ):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise ConfigurationError(f"{name} must be a whole number {bounds}, not {value!r}")
    return int(number)


def number(value: Any, name: str, minimum: float = 0.0, above: bool = False) -> float:
    """`value` as a finite float of at least `minimum` (`above`: more than it)."""
    parsed = _number(value)
    if parsed is None or parsed < minimum or (above and parsed == minimum):
        bound = f"above {minimum:g}" if above else f"of {minimum:g} or more"
        raise ConfigurationError(f"{name} must be a number {bound}, not {value!r}")
    return parsed


def one_of(value: Any, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):  # TOML's true is an int to Python: never a count
        return None
    try:
        parsed = float(value if isinstance(value, int | float) else str(value).strip())
    except (TypeError, ValueError):
        return None
    return parsed if math.isfinite(parsed) else None


def api_token(value: Any) -> str:
    """The token, never shown: a pasted line break would only fail at the first request."""
    name = setting_name("api_token")
    token = "" if value is None else str(value)
    if not token:
        raise ConfigurationError(f"{name} is empty: set the TeamUp API token there")
    if any(character.isspace() or not character.isprintable() for character in token):
        raise ConfigurationError(
            f"{name} has spaces, line breaks or control characters in it (a pasted line"
            " break?); its value is not shown"
        )
    return token


def client_settings(base_url: Any, auth_scheme: Any) -> tuple[str, str]:
    """The API root (an http(s) URL with a host) and the authorization scheme."""
    parts = urlsplit(str(base_url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{setting_name('base_url')} must be an http(s) URL such as"
            f" https://goteamup.com/api/v2, not {base_url!r}"
        )
    return str(base_url), one_of(auth_scheme, setting_name("auth_scheme"), AUTH_SCHEMES)


def provider_ids(value: str | int | Sequence[Any] | None) -> list[int | None]:
    """'1,2' -> [1, 2]; unset or "" -> [None] (the token's only provider, no header sent)."""
    if value is None or value == "":
        return [None]
    name = setting_name("provider_id")
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    shown = ",".join(map(str, parts)) if isinstance(value, list | tuple) else value
    ids = [_provider_id(part, name, shown) for part in parts]
    repeated = sorted({pid for pid in ids if ids.count(pid) > 1})
    if repeated:
        raise ConfigurationError(f"{name} lists {repeated[0]} more than once: {shown!r}")
    return list(ids)


def _provider_id(part: Any, name: str, shown: Any) -> int:
    text = str(part).strip()
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(
            f"{name} must be TeamUp provider ids (whole numbers of 1 or more), comma-separated,"
            f" not {shown!r}"
        )
    return int(text)


def start_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigurationError(
            f"{setting_name('start_date')} must be a date, YYYY-MM-DD, not {value!r}"
        ) from None


def grouped_columns(value: Sequence[Any] | None) -> tuple[str, ...]:
    """The grouped report's attribute columns (`count` is always asked for: dropped here);
    unset, every documented one. Which columns TeamUp knows, only TeamUp says (exit 4)."""
    if value is None:
        return DEFAULT_GROUPED_COLUMNS
    name = setting_name("grouped_columns")
    if isinstance(value, str) or not all(isinstance(c, str) and c.strip() for c in value):
        raise ConfigurationError(f"{name} must be a JSON list of column names, not {value!r}")
    columns = tuple(column.strip() for column in value if column.strip() != "count")
    if not columns:
        raise ConfigurationError(
            f"{name} must list at least one column besides count (unset: every documented"
            f" one), not {value!r}"
        )
    return columns


def run_settings(
    columns: Sequence[Any] | None, first: str | date | None, overlap: Any, lag: Any
) -> RunSettings:
    """The settings the refresh works with, each checked: overlap and lag of 0 s or more."""
    return RunSettings(
        columns=grouped_columns(columns),
        start_date=start_date(first),
        overlap=timedelta(seconds=whole_number(overlap, setting_name("overlap_seconds"), 0)),
        lag=timedelta(seconds=whole_number(lag, setting_name("lag_seconds"), 0)),
    )


def rate_limit(per_second: Any, window_seconds: Any) -> tuple[float | None, float]:
    """The client-side limit: a rate of 0 or more (0 or unset: none), a window above 0 s."""
    rate = (
        None if per_second is None else number(per_second, setting_name("max_requests_per_second"))
    )
    window = number(window_seconds, setting_name("rate_limit_window_seconds"), above=True)
    return rate or None, window


def parallel_requests(value: Any) -> int:
    name = setting_name("max_parallel_requests")
    return whole_number(value, name, 1, MAX_PARALLEL_REQUESTS)


def loader_file_format(value: Any) -> str | None:
    """One dlt writes without extra dependencies; unset: the destination's preferred."""
    if value is None or value == "":
        return None
    return one_of(value, setting_name("loader_file_format"), LOADER_FILE_FORMATS)
