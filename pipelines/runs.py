"""The runs behind `teamup-etl`: load, backfill and status, callable from tests or a scheduler."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

import dlt
import duckdb
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.teamup import TABLES, RunStats, existing_tables, teamup_source
from sources.teamup.refresh.warehouse import SqlWarehouse

from .exceptions import (
    ConfigurationError,
    ReconciliationError,
    TeamUpError,
    WarehouseError,
)
from .history import HISTORY_TABLE, RunRecord, record_run
from .lock import exclusive_run
from .messages import one_line, redact
from .reconcile import MonthMismatch, describe
from .views import build_models, reconcile
from .warehouse_file import (
    analyst_copy_path,
    busy_timeout,
    duckdb_limits,
    held_open,
    load_one_job_at_a_time,
    publish_copy,
)

logger = logging.getLogger(__name__)

PIPELINE_NAME = "teamup_warehouse"  # also the DuckDB file's name: never the dataset's (teamup)
DATASET_NAME = "teamup"


@dataclass
class RunSummary:
    mode: str
    requests: int
    months_refreshed: int
    partitions_refreshed: int
    rows_loaded: dict[str, int]
    seconds: float
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    watermarks: dict[str, str] = field(default_factory=dict)
    # of `requests`, those spent finding invoices deleted without a trace (no deletion feed)
    search_requests: int = 0
    views_built: list[str] = field(default_factory=list)
    # due months whose invoice counts differ between invoices_grouped and invoices
    mismatched_months: list[MonthMismatch] = field(default_factory=list)

    def line(self) -> str:
        rows = ", ".join(f"{table} {n}" for table, n in self.rows_loaded.items()) or "none"
        searched = f" ({self.search_requests} finding deleted invoices)"
        return (
            f"{self.mode}: {self.months_refreshed} months and {self.partitions_refreshed} "
            f"partitions refreshed, {self.requests} requests"
            f"{searched if self.search_requests else ''}, rows written: {rows}, "
            f"{self.seconds:.1f}s"
        )


def make_pipeline(
    progress: Any = None, pipelines_dir: str | None = None, database: str | None = None
) -> dlt.Pipeline:
    """The warehouse pipeline; by default its file and state come from dlt's configuration
    (DESTINATION__DUCKDB__CREDENTIALS, DLT_DATA_DIR), else teamup_warehouse.duckdb here."""
    # dlt's merge staging would be "teamup_staging", the schema of our staging views: moved.
    options: dict[str, Any] = {"staging_dataset_name_layout": "%s_load_staging"}
    if database:
        options["credentials"] = database
    destination = dlt.destinations.duckdb(**options)
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=pipelines_dir,  # type: ignore[arg-type]  # dlt's default is None, typed str
        destination=destination,
        dataset_name=DATASET_NAME,
        progress=progress,
    )


def load(
    pipeline: dlt.Pipeline | None = None, progress: Any = None, strict: bool = False
) -> RunSummary:
    """The nightly run: refresh what changed since the watermark, then move it.

    strict: a reconciliation mismatch raises ReconciliationError (the load stays committed).
    """
    return _run("load", pipeline, progress, strict)


def backfill(
    first: date,
    last: date,
    pipeline: dlt.Pipeline | None = None,
    progress: Any = None,
    strict: bool = False,
) -> RunSummary:
    """Replace the due months from first's month to last's month; the watermark stays."""
    if last < first:
        raise ConfigurationError(f"backfill end {last} is before its start {first}")
    return _run("backfill", pipeline, progress, strict, backfill=(first, last))


def _run(
    mode: str, pipeline: dlt.Pipeline | None, progress: Any, strict: bool, **options: Any
) -> RunSummary:
    started_at, started = datetime.now(UTC), time.monotonic()
    stats = RunStats()
    first, last = options.get("backfill") or (None, None)
    run = partial(
        RunRecord, run_id=uuid.uuid4().hex, command=mode, started_at=started_at,
        backfill_start=first, backfill_end=last,
    )  # fmt: skip
    try:
        with _warehouse(pipeline, progress) as (pipeline, database, holder):
            try:
                _finish_pending(pipeline)
                # dlt types SqlClientBase.__exit__'s arguments without None, so to mypy it is
                # not the context manager it is
                open_client = cast(Callable[[], AbstractContextManager[Any]], pipeline.sql_client)
                source = teamup_source(warehouse=SqlWarehouse(open_client), stats=stats, **options)
                info = pipeline.run(source)
                _prune_customers(pipeline)
                views = build_models(pipeline)
                mismatched = reconcile(pipeline)
            except Exception as error:
                failure = unwrap(error)
                record = run(outcome="failed", error=redact(one_line(failure)))
                _record(holder, _finished(record, started, stats))
                raise failure from error
            summary = RunSummary(
                mode=mode,
                requests=stats.requests,
                search_requests=stats.search_requests,
                months_refreshed=stats.months_refreshed,
                partitions_refreshed=stats.partitions_refreshed,
                rows_loaded=_rows_loaded(pipeline),
                seconds=time.monotonic() - started,
                windows=stats.windows,
                watermarks=stats.watermarks,
                views_built=views,
                mismatched_months=mismatched,
            )
            record = run(outcome="succeeded", error=None, load_ids=",".join(info.loads_ids))
            record.rows_written = sum(summary.rows_loaded.values())
            record.mismatched_months = len(mismatched)
            _record(holder, _finished(record, started, stats))
            _publish(holder, database)
    except Exception as error:  # dlt wraps what went wrong: surface our own error
        raise unwrap(error) from error
    _check_reconciled(summary.mismatched_months, strict)
    return summary


@contextmanager
def _warehouse(
    pipeline: dlt.Pipeline | None, progress: Any
) -> Iterator[tuple[dlt.Pipeline, Path, duckdb.DuckDBPyConnection]]:
    """The run's lock, its pipeline, and the warehouse file held open for the whole run."""
    with exclusive_run(_pipelines_dir(pipeline), PIPELINE_NAME):
        pipeline = pipeline or make_pipeline(progress)
        database = database_path(pipeline)
        limits = duckdb_limits()
        if limits:
            load_one_job_at_a_time()
        with held_open(database, busy_timeout(), limits=limits) as holder:
            yield pipeline, database, holder


def _finished(record: RunRecord, started: float, stats: RunStats) -> RunRecord:
    record.finished_at = datetime.now(UTC)
    record.duration_seconds = round(time.monotonic() - started, 3)
    record.requests = stats.requests
    record.months_refreshed = stats.months_refreshed
    record.partitions_refreshed = stats.partitions_refreshed
    # A first load has no window start (it reads everything), only the watermark it set.
    starts = [since for since, _ in stats.windows.values()]
    ends = [until for _, until in stats.windows.values()] + list(stats.watermarks.values())
    record.window_start = min(map(datetime.fromisoformat, starts), default=None)
    record.window_end = max(map(datetime.fromisoformat, ends), default=None)
    return record


def _record(holder: duckdb.DuckDBPyConnection, record: RunRecord) -> None:
    """Best effort for a failed run: the history must not hide the failure it records."""
    try:
        record_run(holder, DATASET_NAME, record)
    except duckdb.Error as error:
        if record.succeeded:
            raise
        logger.warning("could not record the failed run in %s: %s", HISTORY_TABLE, error)


def _publish(holder: duckdb.DuckDBPyConnection, database: Path) -> None:
    copy = analyst_copy_path(database)
    if copy is not None:
        publish_copy(holder, database, copy)


def database_path(pipeline: dlt.Pipeline) -> Path:
    """The warehouse file dlt resolved for this pipeline (its credentials, else the default)."""
    # A duckdb pipeline's credentials, resolved: the file's path is set.
    credentials = cast(DuckDbCredentials, pipeline.destination_client().config.credentials)
    return Path(credentials.database)


@dataclass
class ModelsSummary:
    views_built: list[str]
    mismatched_months: list[MonthMismatch]

    def line(self) -> str:
        return f"models: {len(self.views_built)} views built" + (
            f" ({', '.join(self.views_built)})" if self.views_built else " (no tables loaded yet)"
        )


def models(pipeline: dlt.Pipeline | None = None, strict: bool = False) -> ModelsSummary:
    """Rebuild the views of sql/ on the warehouse as it is, then reconcile; loads nothing."""
    try:
        with _warehouse(pipeline, progress=None) as (pipeline, database, holder):
            summary = ModelsSummary(build_models(pipeline), reconcile(pipeline))
            _publish(holder, database)
    except Exception as error:
        raise unwrap(error) from error
    _check_reconciled(summary.mismatched_months, strict)
    return summary


def _check_reconciled(mismatched: list[MonthMismatch], strict: bool) -> None:
    if mismatched and strict:
        raise ReconciliationError(
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


def _prune_customers(pipeline: dlt.Pipeline) -> None:
    """A customer whose every invoice is gone is not in a fresh load either."""
    with pipeline.sql_client() as client:
        customers = client.make_qualified_table_name("customers")
        grouped = client.make_qualified_table_name("invoices_grouped")
        present = existing_tables(client, client.dataset_name) if client.has_dataset() else set()
        if not {"customers", "invoices_grouped"} <= present:
            return
        client.execute_sql(
            f"delete from {customers} c where not exists (select 1 from {grouped} g "
            "where g.provider_id = c.provider_id and g.customer_id = c.id)"
        )


def _rows_loaded(pipeline: dlt.Pipeline) -> dict[str, int]:
    normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    counts = normalized.row_counts if normalized else {}
    return {table: counts.get(table, 0) for table in TABLES if table in counts}


def unwrap(error: BaseException) -> BaseException:
    """The innermost error we raised on purpose, or a ConfigurationError for dlt's config."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TeamUpError | KeyboardInterrupt):
            return current  # an interrupt dlt wrapped is still the user's Ctrl-C
        if isinstance(current, ConfigFieldMissingException):
            return ConfigurationError(
                "missing setting(s): "
                + ", ".join(current.fields)
                + " (set e.g. SOURCES__TEAMUP__API_TOKEN, or .dlt/secrets.toml)"
            )
        if isinstance(current, ConfigValueCannotBeCoercedException):
            # The value is not shown: it could be a secret set in the wrong place.
            return ConfigurationError(
                f"the setting {current.field_name} is not a valid {_type_name(current.hint)}"
                " (check its environment variable or .dlt/config.toml)"
            )
        inner = (
            getattr(current, "exception", None) if isinstance(current, PipelineStepFailed) else None
        )
        current = inner or current.__cause__ or current.__context__
    if "duckdb" in type(error).__module__.lower():
        return WarehouseError(f"the DuckDB warehouse failed: {error}")
    return error


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))
