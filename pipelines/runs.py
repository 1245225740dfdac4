"""The runs behind `teamup-etl`: load, backfill and models, callable from tests or a scheduler."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt
import duckdb
from dlt.common.pipeline import get_dlt_pipelines_dir

from . import preflight
from .failures.errors import (
    ConfigurationError,
    ProvidersFailedError,
    ReconciliationError,
    ViewsFailedError,
)
from .failures.messages import one_line, redact
from .failures.unwrap import error_line, unwrap
from .lock import exclusive_run
from .providers import (
    Invocation,
    ProviderOutcome,
    load_providers,
    prune_customers,
)
from .run_records import begin, end, record_own
from .settings import EtlSettings, check_requests, configured
from .summary import RunSummary
from .warehouse.destination import (
    DATASET_NAME,
    PIPELINE_NAME,
    database_path,
    is_local_file,
    make_pipeline,
    shown,
)
from .warehouse.duckdb_file import (
    analyst_copy_path,
    duckdb_limits,
    held_open,
    load_one_job_at_a_time,
    publish_copy,
)
from .warehouse.models import build_models, reconcile
from .warehouse.reconcile import MonthMismatch, describe
from .warehouse.run_history import record_mismatches

logger = logging.getLogger(__name__)

__all__ = [
    "DATASET_NAME",
    "PIPELINE_NAME",
    "ModelsSummary",
    "RunSummary",
    "backfill",
    "database_path",
    "describe",
    "load",
    "make_pipeline",
    "models",
]


def load(
    pipeline: dlt.Pipeline | None = None,
    progress: Any = None,
    strict: bool = False,
    settings: EtlSettings | None = None,
) -> RunSummary:
    """The nightly run: each provider refreshes what changed since its watermark, then moves
    it, in a load of its own (a failed provider leaves the others committed).

    strict: a reconciliation mismatch raises ReconciliationError (the load stays committed).
    settings: [teamup_etl] as the command resolved it (else resolved here).
    """
    return _run("load", pipeline, progress, strict, settings)


def backfill(
    first: date,
    last: date,
    pipeline: dlt.Pipeline | None = None,
    progress: Any = None,
    strict: bool = False,
    settings: EtlSettings | None = None,
) -> RunSummary:
    """Replace the due months from first's month to last's month; the watermark stays."""
    if last < first:
        raise ConfigurationError(f"backfill end {last} is before its start {first}")
    return _run("backfill", pipeline, progress, strict, settings, backfill=(first, last))


def _run(
    mode: str,
    pipeline: dlt.Pipeline | None,
    progress: Any,
    strict: bool,
    settings: EtlSettings | None,
    **options: Any,
) -> RunSummary:
    settings = settings or configured(EtlSettings)
    started = time.monotonic()
    first, last = options.get("backfill") or (None, None)
    invocation = Invocation(uuid.uuid4().hex, mode, datetime.now(UTC), first, last)
    try:
        with _warehouse(pipeline, progress, settings) as (pipeline, holder):
            where = shown(pipeline)
            try:
                begin(pipeline, invocation)
                # settings read only late in a run, checked before it changes anything (a
                # bad one is recorded as this run's failure: exit 2)
                check_requests()
                zone = preflight.before_run(settings).reporting_timezone
                _finish_pending(pipeline)
                outcomes = load_providers(pipeline, invocation, options, where, settings)
                if all(outcome.error is not None for outcome in outcomes):
                    raise provider_failure(outcomes)  # type: ignore[misc]  # all failed: not None
                views = _build_views(pipeline, outcomes, where, zone)
                mismatched = reconcile(pipeline)
                _record_mismatches(pipeline, invocation, outcomes, mismatched)
                # after the others are committed and the views built
                ending = provider_failure(outcomes) or _unreconciled(mismatched, strict)
                end(pipeline, invocation, started, ending)
                _publish(pipeline, holder, settings)
            except BaseException as error:  # Ctrl-C too: the run's own row says it stopped
                failure = unwrap(error, where)
                end(pipeline, invocation, started, failure)
                raise failure from error
            summary = RunSummary.of(mode, outcomes, time.monotonic() - started)
            summary.views_built, summary.mismatched_months = views, mismatched
    except Exception as error:  # dlt wraps what went wrong: surface our own error
        raise unwrap(error) from error
    if ending is not None:
        raise ending
    return summary


def _build_views(
    pipeline: dlt.Pipeline, outcomes: list[ProviderOutcome], where: str, zone: str
) -> list[str]:
    """The views over what the providers committed; their failure says that data is in."""
    try:
        return build_models(pipeline, timezone=zone)
    except Exception as error:
        failure = unwrap(error, where)
        done = sum(outcome.error is None for outcome in outcomes)
        raise ViewsFailedError(
            f"{done} of {len(outcomes)} providers committed; the views failed: "
            + error_line(failure),
            failure,
        ) from error


@contextmanager
def _warehouse(
    pipeline: dlt.Pipeline | None, progress: Any, settings: EtlSettings
) -> Iterator[tuple[dlt.Pipeline, duckdb.DuckDBPyConnection | None]]:
    """The run's lock and pipeline; a local DuckDB file is held open for the whole run (the
    connection holding it comes along: None for a server warehouse)."""
    with exclusive_run(_pipelines_dir(pipeline), PIPELINE_NAME):
        pipeline = pipeline or make_pipeline(progress, destination=settings.destination)
        if not is_local_file(pipeline):
            yield pipeline, None
            return
        limits = duckdb_limits(settings)
        if limits:
            load_one_job_at_a_time()
        timeout = settings.busy_timeout_seconds
        with held_open(database_path(pipeline), timeout, limits=limits) as holder:
            yield pipeline, holder


def _record_mismatches(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    outcomes: list[ProviderOutcome],
    mismatched: list[MonthMismatch],
) -> None:
    counts = {outcome.provider: 0 for outcome in outcomes if outcome.error is None}
    for month in mismatched:
        if month.provider_id in counts:
            counts[month.provider_id] += 1
    with pipeline.sql_client() as client:
        record_mismatches(client, invocation.id, counts)


def _publish(
    pipeline: dlt.Pipeline, holder: duckdb.DuckDBPyConnection | None, settings: EtlSettings
) -> None:
    """The analyst copy of a local DuckDB file; a server's analysts connect to it directly."""
    if holder is None:
        return
    database = database_path(pipeline)
    copy = analyst_copy_path(database, settings.analyst_copy)
    if copy is not None:
        publish_copy(holder, database, copy)


@dataclass
class ModelsSummary:
    views_built: list[str]
    mismatched_months: list[MonthMismatch]

    def line(self) -> str:
        return f"models: {len(self.views_built)} views built" + (
            f" ({', '.join(self.views_built)})" if self.views_built else " (no tables loaded yet)"
        )


def models(
    pipeline: dlt.Pipeline | None = None, strict: bool = False, settings: EtlSettings | None = None
) -> ModelsSummary:
    """Rebuild the views of sql/ on the warehouse as it is, then reconcile; loads nothing.
    Recorded in run_history (command models, no provider): views that failed in a load
    count as rebuilt once a models run succeeds (see check)."""
    settings = settings or configured(EtlSettings)
    started = time.monotonic()
    invocation = Invocation(uuid.uuid4().hex, "models", datetime.now(UTC))
    try:
        with _warehouse(pipeline, None, settings) as (pipeline, holder):
            where = shown(pipeline)
            try:
                zone = preflight.before_run(settings).reporting_timezone
                summary = ModelsSummary(build_models(pipeline, timezone=zone), reconcile(pipeline))
                ending = _unreconciled(summary.mismatched_months, strict)
                record_own(pipeline, invocation, started, ending)
                _publish(pipeline, holder, settings)
            except BaseException as error:
                failure = unwrap(error, where)
                record_own(pipeline, invocation, started, failure)
                raise failure from error
    except Exception as error:
        raise unwrap(error) from error
    if ending is not None:
        raise ending
    return summary


def provider_failure(outcomes: list[ProviderOutcome]) -> BaseException | None:
    """The error a run with failed providers ends with: a lone provider's own refresh
    failure, else one naming each failed provider and each failed audit (whose refresh is
    committed). The exit code is the first one's."""
    failed = {o.provider: o.error for o in outcomes if o.error is not None}
    audits = {o.provider: o.audit_error for o in outcomes if o.audit_error is not None}
    if not failed and not audits:
        return None
    if len(outcomes) == 1 and failed:
        return next(iter(failed.values()))
    done = len(outcomes) - len(failed)
    message = f"{done} of {len(outcomes)} providers committed"
    if failed:
        message += "; failed: " + _provider_lines(failed)
    if audits:
        message += "; the audit failed: " + _provider_lines(audits)
    # Not marked recorded: the run's own row keeps this line, listed above its providers'.
    return ProvidersFailedError(message, [*failed.values(), *audits.values()])


def _provider_lines(errors: dict[int, BaseException]) -> str:
    return "; ".join(f"provider {p}: {redact(one_line(error))}" for p, error in errors.items())


def _unreconciled(mismatched: list[MonthMismatch], strict: bool) -> ReconciliationError | None:
    """The error a strict run ends with when the invoice tables disagree."""
    if not (mismatched and strict):
        return None
    return ReconciliationError(
        f"invoice counts differ between invoices_grouped and invoices in "
        f"{len(mismatched)} due months: {describe(mismatched)}",
        mismatched,
    )


def _pipelines_dir(pipeline: dlt.Pipeline | None) -> str:
    """Where the pipeline lives (DLT_DATA_DIR/pipelines unless given): its lock goes there."""
    return pipeline.pipelines_dir if pipeline else get_dlt_pipelines_dir()


def _finish_pending(pipeline: dlt.Pipeline) -> None:
    """Packages extracted but not loaded (a crash) go in first: planning reads the warehouse."""
    if pipeline.has_pending_data:
        logger.warning("loading the packages a previous run left pending")
        pipeline.normalize()
        pipeline.load()
        prune_customers(pipeline)  # of whichever providers they were
