"""Settings a command would read only late, and dlt's own, checked before the command starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dlt

from sources.teamup.options import number, setting_name, whole_number

from .warehouse.destination import configured_duckdb_file, destination_name
from .warehouse.duckdb_file import analyst_copy_path
from .warehouse.models import reporting_timezone

RUNTIME = "runtime"
CHECKS = "teamup_etl"


def _at_least_one(value: Any, name: str) -> float:
    return whole_number(value, name, 1)


def _positive(value: Any, name: str) -> float:
    return number(value, name, above=True)


# dlt's retrying HTTP session ([runtime] in .dlt/config.toml): one attempt at least, no
# negative wait, and a timeout above 0 s (requests would refuse 0 only at the first request).
RUNTIME_BOUNDS: dict[str, Callable[[Any, str], float]] = {
    "request_max_attempts": _at_least_one,
    "request_backoff_factor": number,
    "request_max_retry_delay": number,
    "request_timeout": _positive,
}


def before_requests() -> None:
    """dlt's request settings, which it reads only at the first request."""
    for key, check in RUNTIME_BOUNDS.items():
        value: Any = dlt.config.get(f"{RUNTIME}.{key}")
        if value is not None:
            check(value, setting_name(key, RUNTIME))


def before_run() -> None:
    """load, backfill and models: what a run reads only after its load committed (the views'
    timezone, the analyst copy), so that a bad value fails it before it changes anything."""
    reporting_timezone()
    if destination_name() == "duckdb":
        analyst_copy_path(configured_duckdb_file())


def check_thresholds(
    max_age_hours: float | None, max_row_change: float | None
) -> tuple[float | None, float | None]:
    """`teamup-etl check`'s thresholds, the options' or else the settings': a last load older
    than a number of hours, a share of change, each 0 or more (unset: check's defaults)."""
    return (
        _threshold(max_age_hours, "--max-age-hours", "check_max_age_hours"),
        _threshold(max_row_change, "--max-row-change", "check_max_row_change"),
    )


def _threshold(given: float | None, option: str, key: str) -> float | None:
    if given is not None:
        return number(given, option)
    value: Any = dlt.config.get(f"{CHECKS}.{key}")
    return None if value is None else number(value, setting_name(key, CHECKS))
