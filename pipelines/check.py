"""`teamup-etl check`: is the warehouse fresh, consistent, and without sudden jumps?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sources.teamup.options import number

from .failures.errors import WarehouseError
from .failures.unwrap import unwrap
from .settings import EtlSettings, configured
from .warehouse.destination import database_path, is_local_file, make_pipeline, reading, shown
from .warehouse.reconcile import describe, mismatched_months
from .warehouse.run_history import (
    COUNTED_TABLES,
    RUNNING,
    VIEWS_FAILED,
    RunRecord,
    last_invocation,
    last_runs,
    providers_seen,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    max_age: timedelta
    max_row_change: float  # a share: 0.25 is 25% up or down

    @classmethod
    def configured(
        cls,
        max_age_hours: float | None = None,
        max_row_change: float | None = None,
        settings: EtlSettings | None = None,
    ) -> Thresholds:
        """The options first (each 0 or more), then [teamup_etl]'s check_max_age_hours and
        check_max_row_change (`settings`, or resolved now)."""
        settings = settings or configured(EtlSettings)
        age, change = settings.check_max_age_hours, settings.check_max_row_change
        if max_age_hours is not None:
            age = number(max_age_hours, "--max-age-hours")
        if max_row_change is not None:
            change = number(max_row_change, "--max-row-change")
        return cls(timedelta(hours=age), change)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass
class CheckReport:
    warehouse: str  # the file or server checked, as messages name it
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
    settings: EtlSettings | None = None,
) -> CheckReport:
    """Check the configured warehouse (or the DuckDB file `database`, e.g. the analyst copy),
    read-only; a local file is waited for while a run holds it. `settings`: [teamup_etl]
    as the command resolved it (else resolved here)."""
    settings = settings or configured(EtlSettings)
    pipeline = make_pipeline(progress=None, destination=settings.destination)
    if database is None and is_local_file(pipeline):
        database = database_path(pipeline)
    if database is not None and not database.exists():
        raise WarehouseError(f"no warehouse at {database}: run `teamup-etl load` first")
    thresholds = Thresholds.configured(max_age_hours, max_row_change, settings)
    where = f"the DuckDB warehouse {database}" if database else shown(pipeline)
    try:
        with reading(pipeline, database, settings.busy_timeout_seconds) as client:
            return run_checks(client, where, thresholds, now)
    except Exception as error:
        raise unwrap(error, where) from error


def run_checks(
    client: Any, where: str, thresholds: Thresholds, now: datetime | None = None
) -> CheckReport:
    """Every check, through a dlt sql client on the warehouse."""
    now = now or datetime.now(UTC)
    results = [
        check_last_run(client),
        check_freshness(client, thresholds.max_age, now),
        check_reconciliation(client),
        check_row_counts(client, thresholds.max_row_change),
        check_audit(client),
    ]
    for result in results:
        logger.info("check %s", result.line())
    return CheckReport(where, results)


def check_last_run(client: Any) -> CheckResult:
    """The newest load or backfill: every provider it ran (and the run itself) succeeded.
    Views it failed to build count as rebuilt once a later `teamup-etl models` succeeded;
    a later models run that failed fails the check too."""
    rows = last_invocation(client, other_than="models")
    if not rows:
        return CheckResult("last run", False, "no load or backfill recorded in run_history yet")
    first = min(rows, key=lambda run: run.started_at)
    when = f"the {first.command} started {_at(first)}"
    failed = [run for run in rows if not run.succeeded]
    after = [
        run
        for run in last_invocation(client, command="models")
        if run.started_at > first.started_at
    ]
    if (
        after
        and all(run.succeeded for run in after)
        and any(r.outcome == VIEWS_FAILED for r in failed)
    ):
        when += f" (its views rebuilt by `teamup-etl models` started {_at(after[0])})"
        failed = [run for run in failed if run.outcome != VIEWS_FAILED]
    detail = f"{when} succeeded"
    if failed:
        unfinished = all(run.outcome == RUNNING for run in failed)
        verb = "has not finished" if unfinished else "failed"
        detail = f"{when} {verb}: " + "; ".join(run.reason() for run in failed)
    broken = [run for run in after if not run.succeeded]
    if broken:
        detail += f"; then `teamup-etl models` started {_at(broken[0])} failed: " + "; ".join(
            run.reason() for run in broken
        )
    return CheckResult("last run", not failed and not broken, detail)


def _at(run: RunRecord) -> str:
    return f"{run.started_at:%Y-%m-%d %H:%M %Z}"


def check_freshness(client: Any, max_age: timedelta, now: datetime) -> CheckResult:
    """The stalest provider's last successful load: one failing every night goes stale."""
    limit = f"limit {_hours(max_age)}"
    # The providers the newest load ran: one taken out of provider_id is no longer awaited.
    ran = {run.provider_id for run in last_invocation(client, command="load")}
    providers: list[int | None] = [*sorted(p for p in ran if p is not None)] or [None]
    latest: dict[int | None, datetime] = {}
    for provider in providers:
        runs = last_runs(client, limit=1, outcome="succeeded", command="load", provider_id=provider)
        if runs:
            latest[provider] = cast(datetime, runs[0].finished_at)  # not null in run_history
    if not latest:
        return CheckResult("freshness", False, f"no successful load recorded ({limit})")
    never = [p for p in providers if p not in latest]
    if never:
        detail = f"provider {', '.join(map(str, never))} never loaded successfully ({limit})"
        return CheckResult("freshness", False, detail)
    stalest = min(latest, key=lambda p: latest[p])
    age = now - latest[stalest]
    whose = f" (provider {stalest})" if len(latest) > 1 else ""
    detail = f"last successful load{whose} finished {_hours(age)} ago ({limit})"
    return CheckResult("freshness", age <= max_age, detail)


def check_reconciliation(client: Any) -> CheckResult:
    mismatched = mismatched_months(client)
    if not mismatched:
        return CheckResult("reconciliation", True, "invoice counts agree in every due month")
    shown = describe(mismatched[:5]) + (" ..." if len(mismatched) > 5 else "")
    detail = f"invoice counts differ in {len(mismatched)} due months: {shown}"
    return CheckResult("reconciliation", False, detail)


def check_audit(client: Any) -> CheckResult:
    """The rolling audit of the newest load (a backfill has none): drift means an assumption
    the nightly refresh relies on does not hold for this account (repaired, but it will
    recur); a failed audit left its months unverified."""
    runs = last_invocation(client, command="load")
    failed = [run for run in runs if run.audit_error]
    if failed:
        shown = "; ".join(f"provider {run.provider_id}: {run.audit_error}" for run in failed)
        return CheckResult("audit", False, f"the audit failed (refreshes committed): {shown}")
    rows = [run for run in runs if run.audit_months]
    if not rows:
        return CheckResult("audit", True, "no audit in the last run")
    drifted = [run for run in rows if run.audit_rows_differed]
    months = sum(run.audit_months or 0 for run in rows)
    if not drifted:
        return CheckResult("audit", True, f"{months} due months re-fetched, no drift")
    shown = "; ".join(f"provider {run.provider_id}: {run.audit_detail}" for run in drifted)
    detail = (
        f"drift found and repaired: {shown} (an assumption does not hold: run "
        "`teamup-etl probe`, see docs/operations.md#the-rolling-audit)"
    )
    return CheckResult("audit", False, detail)


def check_row_counts(client: Any, max_change: float) -> CheckResult:
    """Each provider's table sizes after its last successful run against the one before."""
    jumps: list[str] = []
    compared = False
    providers: list[int | None] = list(providers_seen(client)) or [None]
    for provider in providers:
        runs = last_runs(client, limit=2, outcome="succeeded", provider_id=provider)
        if len(runs) < 2:
            continue
        compared = True
        whose = f"provider {provider} " if provider is not None else ""
        jumps += [
            whose + jump
            for table in COUNTED_TABLES
            if (jump := _jump(table, runs[0], runs[1], max_change))
        ]
    if not compared:
        return CheckResult("row counts", True, "fewer than two successful runs to compare")
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
