"""`teamup-etl check`: is the warehouse fresh, consistent, and without sudden jumps?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import dlt
import duckdb

from .exceptions import ConfigurationError, WarehouseError
from .history import COUNTED_TABLES, RunRecord, last_runs
from .reconcile import describe, mismatched_months
from .runs import DATASET_NAME, database_path, make_pipeline, unwrap
from .warehouse_file import busy_timeout, held_open

logger = logging.getLogger(__name__)

MAX_AGE_SETTING = "teamup_etl.check_max_age_hours"
MAX_CHANGE_SETTING = "teamup_etl.check_max_row_change"
# A nightly job plus two hours of slack: one late night is not yet an alert, a missed one is.
DEFAULT_MAX_AGE_HOURS = 26.0
# Between two runs a studio's tables grow by a fraction of a percent; a quarter is an accident.
DEFAULT_MAX_ROW_CHANGE = 0.25


@dataclass(frozen=True)
class Thresholds:
    max_age: timedelta
    max_row_change: float  # a share: 0.25 is 25% up or down

    @classmethod
    def configured(
        cls, max_age_hours: float | None = None, max_row_change: float | None = None
    ) -> Thresholds:
        """Arguments first, then [teamup_etl] settings, then the defaults."""
        hours = max_age_hours if max_age_hours is not None else dlt.config.get(MAX_AGE_SETTING)
        change = (
            max_row_change if max_row_change is not None else dlt.config.get(MAX_CHANGE_SETTING)
        )
        try:
            age = float(DEFAULT_MAX_AGE_HOURS if hours is None else hours)
            jump = float(DEFAULT_MAX_ROW_CHANGE if change is None else change)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"check thresholds must be numbers: {hours!r}, {change!r}"
            ) from None
        if age < 0 or jump < 0:
            raise ConfigurationError(f"check thresholds must not be negative (got {age}, {jump})")
        return cls(timedelta(hours=age), jump)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass
class CheckReport:
    database: Path
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if not result.ok]

    def text(self) -> str:
        return "\n".join(result.line() for result in self.results)

    def reason(self) -> str:
        """The failures on one line: what an alert shows."""
        return "; ".join(f"{r.name}: {r.detail}" for r in self.failures)


def check(
    database: Path | None = None,
    max_age_hours: float | None = None,
    max_row_change: float | None = None,
    now: datetime | None = None,
) -> CheckReport:
    """Check the configured warehouse (or `database`, e.g. the analyst copy)."""
    database = database or database_path(make_pipeline(progress=None))
    if not database.exists():
        raise WarehouseError(f"no warehouse at {database}: run `teamup-etl load` first")
    thresholds = Thresholds.configured(max_age_hours, max_row_change)
    try:
        return run_checks(database, DATASET_NAME, thresholds, now)
    except Exception as error:
        raise unwrap(error) from error


def run_checks(
    database: Path, dataset: str, thresholds: Thresholds, now: datetime | None = None
) -> CheckReport:
    """Every check against the warehouse file, read-only; waits while a run holds the file."""
    now = now or datetime.now(UTC)
    with held_open(database, busy_timeout(), read_only=True) as connection:
        results = [
            check_last_run(connection, dataset),
            check_freshness(connection, dataset, thresholds.max_age, now),
            check_reconciliation(connection, dataset),
            check_row_counts(connection, dataset, thresholds.max_row_change),
        ]
    for result in results:
        logger.info("check %s", result.line())
    return CheckReport(database, results)


def check_last_run(connection: duckdb.DuckDBPyConnection, dataset: str) -> CheckResult:
    runs = last_runs(connection, dataset, limit=1)
    if not runs:
        return CheckResult("last run", False, "no run recorded in run_history yet")
    run = runs[0]
    when = f"the {run.command} started {run.started_at:%Y-%m-%d %H:%M %Z}"
    if run.succeeded:
        return CheckResult("last run", True, f"{when} succeeded")
    return CheckResult("last run", False, f"{when} failed: {run.error}")


def check_freshness(
    connection: duckdb.DuckDBPyConnection, dataset: str, max_age: timedelta, now: datetime
) -> CheckResult:
    runs = last_runs(connection, dataset, limit=1, outcome="succeeded", command="load")
    limit = f"limit {_hours(max_age)}"
    if not runs:
        return CheckResult("freshness", False, f"no successful load recorded ({limit})")
    age = now - cast(datetime, runs[0].finished_at)  # not null in run_history
    detail = f"last successful load finished {_hours(age)} ago ({limit})"
    return CheckResult("freshness", age <= max_age, detail)


def check_reconciliation(connection: duckdb.DuckDBPyConnection, dataset: str) -> CheckResult:
    mismatched = mismatched_months(connection, dataset)
    if not mismatched:
        return CheckResult("reconciliation", True, "invoice counts agree in every due month")
    shown = describe(mismatched[:5]) + (" ..." if len(mismatched) > 5 else "")
    detail = f"invoice counts differ in {len(mismatched)} due months: {shown}"
    return CheckResult("reconciliation", False, detail)


def check_row_counts(
    connection: duckdb.DuckDBPyConnection, dataset: str, max_change: float
) -> CheckResult:
    """Table sizes after the last successful run against the one before it."""
    runs = last_runs(connection, dataset, limit=2, outcome="succeeded")
    if len(runs) < 2:
        return CheckResult("row counts", True, "fewer than two successful runs to compare")
    jumps = [
        jump for table in COUNTED_TABLES if (jump := _jump(table, runs[0], runs[1], max_change))
    ]
    if jumps:
        return CheckResult("row counts", False, "; ".join(jumps) + f" (limit ±{max_change:.0%})")
    return CheckResult("row counts", True, f"within ±{max_change:.0%} of the run before")


def _jump(table: str, newer: RunRecord, older: RunRecord, max_change: float) -> str | None:
    before, after = getattr(older, f"{table}_rows"), getattr(newer, f"{table}_rows")
    if before is None or after is None or before == after:
        return None
    change = (after - before) / before if before else float("inf")
    if abs(change) <= max_change:
        return None
    shown = f"{change:+.0%}" if before else "from empty"
    return f"{table} went from {before} to {after} rows ({shown})"


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f} h"
