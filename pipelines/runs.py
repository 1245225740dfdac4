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

from .failures.errors import ConfigurationError
from .failures.unwrap import unwrap
from .lock import exclusive_run
from .outcome import Views, failed_run, goes_on, models_outcome, run_outcome
from .providers import load_providers, prune_customers
from .run_records import Invocation, begin, end, mismatches, record_own
from .settings import EtlSettings, ModelSettings, check_requests, configured
from .summary import RunSummary
from .warehouse.destination import (
    DATASET_NAME,
    PIPELINE_NAME,
    configured_duckdb_file,
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
    with _warehouse(pipeline, progress, settings) as (pipeline, holder):
        where = shown(pipeline)
        try:
            begin(pipeline, invocation)
            # settings read only late in a run, checked before it changes anything (a
            # bad one is recorded as this run's failure: exit 2)
            check_requests()
            zone = _late_settings(settings).reporting_timezone
            _finish_pending(pipeline)
            providers = load_providers(pipeline, invocation, options, where, settings)
            views, mismatched = None, []
            if goes_on(providers):
                views = _build_views(pipeline, where, zone)
            if views is not None and views.failure is None:
                mismatched = reconcile(pipeline)
                mismatches(pipeline, invocation, providers, mismatched)
            outcome = run_outcome(providers, views, mismatched, strict)
            end(pipeline, invocation, started, outcome)
            if outcome.views_built:
                _publish(pipeline, holder, settings)
        except BaseException as error:  # Ctrl-C too: the run's own row says it stopped
            failure = unwrap(error, where)
            end(pipeline, invocation, started, failed_run(failure))
            if failure is error:
                raise
            raise failure from error
    if outcome.failure is not None:
        raise outcome.failure
    summary = RunSummary.of(mode, providers, time.monotonic() - started)
    summary.views_built = list(views.built) if views else []
    summary.mismatched_months = mismatched
    return summary


def _build_views(pipeline: dlt.Pipeline, where: str, zone: str) -> Views:
    """The views over what the providers committed, or why they did not build."""
    try:
        return Views(tuple(build_models(pipeline, timezone=zone)))
    except Exception as error:
        return Views(failure=unwrap(error, where))


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
    with _warehouse(pipeline, None, settings) as (pipeline, holder):
        where = shown(pipeline)
        try:
            zone = _late_settings(settings).reporting_timezone
            views = _build_views(pipeline, where, zone)
            mismatched = reconcile(pipeline) if views.failure is None else []
            outcome = models_outcome(views, mismatched, strict)
            record_own(pipeline, invocation, started, outcome)
            if outcome.views_built:
                _publish(pipeline, holder, settings)
        except BaseException as error:
            failure = unwrap(error, where)
            record_own(pipeline, invocation, started, failed_run(failure))
            if failure is error:
                raise
            raise failure from error
    if outcome.failure is not None:
        raise outcome.failure
    return ModelsSummary(list(views.built), mismatched)


def _late_settings(settings: EtlSettings) -> ModelSettings:
    """What load, backfill and models read only late, resolved and checked as they begin (a
    bad value fails the run before it changes anything, and is recorded as its failure): the
    views' settings, and the analyst copy's place beside the working file."""
    models = configured(ModelSettings)
    if settings.destination == "duckdb":
        analyst_copy_path(configured_duckdb_file(), settings.analyst_copy)
    return models


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
