"""The run's own run_history row (no provider's): running while a run runs, then how it ended."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import dlt

from .failures.errors import ViewsFailedError
from .failures.messages import one_line
from .failures.unwrap import error_line
from .providers import Invocation, record_row
from .warehouse.run_history import FAILED, RUNNING, SUCCEEDED, VIEWS_FAILED, begin_run, end_run

logger = logging.getLogger(__name__)


def begin(pipeline: dlt.Pipeline, invocation: Invocation) -> None:
    """The run's own row, running until end(); rows earlier runs left running, crashed."""
    marker = invocation.record(
        run_id=invocation.id, outcome=RUNNING, error=None, finished_at=invocation.started_at
    )
    crashed = (
        "ended without recording how (killed, or the machine or the warehouse went down); "
        f"found by the {invocation.command} started {invocation.started_at:%Y-%m-%d %H:%M %Z}"
    )
    with pipeline.sql_client() as client:
        begin_run(client, marker, crashed)


def end(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    started: float,
    failure: BaseException | None,
) -> None:
    """The run's own row: how it failed, unless a provider's row says so; its running row
    gone. Best effort for a failure: a row that cannot be written leaves the run running,
    which the next run marks crashed, never succeeded."""
    recorded = failure is None or getattr(failure, "recorded", False)
    if not recorded and not record_own(pipeline, invocation, started, failure):
        return
    try:
        with pipeline.sql_client() as client:
            end_run(client, invocation.id)
    except Exception as error:
        if failure is None:
            raise
        logger.info("could not end the run's running row: %s", one_line(error))


def record_own(
    pipeline: dlt.Pipeline,
    invocation: Invocation,
    started: float,
    failure: BaseException | None,
) -> bool:
    """The run's own row (no provider's): succeeded, views_failed or failed, with its line."""
    if failure is None:
        outcome = SUCCEEDED
    else:
        outcome = VIEWS_FAILED if isinstance(failure, ViewsFailedError) else FAILED
    record = invocation.record(
        outcome=outcome, error=None if failure is None else error_line(failure)
    )
    record.duration_seconds = round(time.monotonic() - started, 3)
    record.finished_at = datetime.now(UTC)
    return record_row(pipeline, record, failure)
