"""One run at a time per pipeline: an advisory lock beside dlt's working directory."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .failures.errors import ConfigurationError, RunInProgressError


@contextmanager
def exclusive_run(pipelines_dir: str | Path, pipeline_name: str) -> Iterator[None]:
    """Hold the pipeline's lock for the body, or fail at once if another run holds it.

    Taken before dlt opens the pipeline: two runs creating its working directory at once
    collide inside dlt. flock (stdlib) rather than a lock-file library: the kernel drops the
    lock when its holder dies, even by SIGKILL, so a crashed run never blocks the next one.
    """
    path = Path(pipelines_dir) / f"{pipeline_name}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise ConfigurationError(
            f"cannot use dlt's data directory {path.parent} ({error.strerror}; set DLT_DATA_DIR)"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgressError(
                f"another run of {pipeline_name} is in progress ({holder} holds {path});"
                " this one changed nothing"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
