"""Run the load's steps and SIGKILL ourselves at the point named in argv[1] (tests only)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from pipelines import runs
from sources.teamup import teamup_source
from sources.teamup.refresh.sql_warehouse import SqlWarehouse


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_when(path_glob: str, root: Path) -> None:
    """Watch for a file of the load package's, then die: the step is under way."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if any(root.glob(path_glob)):
                die()
        except FileNotFoundError:
            pass  # dlt removed a folder the glob was walking: look again
        time.sleep(0.001)


def run(point: str) -> None:
    pipeline = runs.make_pipeline()
    source = teamup_source(warehouse=SqlWarehouse(pipeline.sql_client))
    root = Path(pipeline.working_dir)
    if point == "mid-extract":
        threading.Thread(target=die_when, args=("**/extracted/*/new_jobs/*", root)).start()
    pipeline.extract(source)
    if point == "after-extract":
        die()
    if point == "mid-normalize":
        threading.Thread(target=die_when, args=("normalize/*/*", root)).start()
    pipeline.normalize()
    if point == "after-normalize":
        die()
    if point == "mid-load":
        threading.Thread(target=die_when, args=("load/normalized/*/completed_jobs/*", root)).start()
    pipeline.load()
    if point == "after-load":
        die()


if __name__ == "__main__":
    run(sys.argv[1])
