"""Run the load's steps and SIGKILL ourselves at the point named in argv[1] (tests only).

A point inside a step is reached through the step's own code, not by watching its files from
another thread: the kill lands exactly there, however slow the machine.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlt.common.storages import LoadStorage, PackageStorage
from dlt.extract import DltSource

from pipelines import runs
from sources.teamup import bind_source
from sources.teamup.refresh.sql_warehouse import SqlWarehouse


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_in(owner: type, method: str, after: bool) -> None:
    """The first call of owner.method kills this process: before it does anything, or once it
    has returned."""
    original: Callable[..., Any] = getattr(owner, method)

    def dying(*args: Any, **kwargs: Any) -> Any:
        if not after:
            die()
        result = original(*args, **kwargs)
        die()
        return result

    setattr(owner, method, dying)


def die_mid_extract(source: DltSource, working_dir: Path) -> None:
    """Die when the source hands on a batch while a job file of the extract's new package is
    on disk: the extract is under way (its generator runs), its package not committed."""

    def uncommitted_jobs() -> list[Path]:  # normalize/<extract's folder>/<load id>/new_jobs
        found = working_dir.glob("normalize/*/*/new_jobs/*")
        return [job for job in found if job.parts[-4] != "extracted"]  # not committed ones

    def passing(batch: object) -> object:
        if uncommitted_jobs():  # looked at in the extract's own thread
            die()
        return batch

    # the reports' batches, which every table's records come from
    source.resources["report_batches"].add_map(passing)


def run(point: str) -> None:
    pipeline = runs.make_pipeline()
    source = bind_source(SqlWarehouse(pipeline.sql_client))()
    if point == "mid-extract":
        # Items are written to files in hundreds (the shipped [data_writer] writes them in
        # thousands, on loads a hundred times this one): files are on disk mid-extract.
        os.environ["DATA_WRITER__BUFFER_MAX_ITEMS"] = "100"
        die_mid_extract(source, Path(pipeline.working_dir))
    pipeline.extract(source)
    if point == "after-extract":
        die()
    if point == "mid-normalize":  # every file normalized, the package not committed
        die_in(LoadStorage, "commit_new_load_package", after=False)
    pipeline.normalize()
    if point == "after-normalize":
        die()
    if point == "mid-load":  # the first job loaded, the others not
        die_in(PackageStorage, "complete_job", after=True)
    pipeline.load()
    if point == "after-load":
        die()


if __name__ == "__main__":
    run(sys.argv[1])
    sys.exit(f"crash_child: {sys.argv[1]} was never reached")
