"""The DuckDB working file: waiting while another process holds it, and the analyst copy."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dlt
import duckdb

from ..failures.errors import ConfigurationError, WarehouseBusyError, WarehouseError
from ..settings import EtlSettings, configured

logger = logging.getLogger(__name__)

LOAD_WORKERS_SETTING = "load.workers"  # dlt's own: [load] workers, LOAD__WORKERS
ANALYST_COPY_SUFFIX = "_analyst"
POLL_SECONDS = 1.0
# DuckDB names the holder of its file lock in the error; the message passes it on.
LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def duckdb_limits(settings: EtlSettings | None = None) -> dict[str, Any]:
    """DuckDB's memory_limit and threads for a run, applied to the database instance every
    connection of the run shares (see held_open): the configured ones unless `settings` are
    given; "" or 0 leaves DuckDB's own default."""
    settings = settings or configured(EtlSettings)
    limits: dict[str, Any] = {}
    if settings.duckdb_memory_limit:
        limits["memory_limit"] = settings.duckdb_memory_limit
    if settings.duckdb_threads > 0:
        limits["threads"] = settings.duckdb_threads
    return limits


def load_one_job_at_a_time() -> None:
    """Bounded, DuckDB holds one load job's read_json buffers (32 MB) at a time: dlt's default
    of 20 jobs at once runs it out of memory. .dlt/config.toml says 1 too; this keeps it so
    wherever teamup-etl is started from, unless [load] workers is set otherwise."""
    if dlt.config.get(LOAD_WORKERS_SETTING) is None:
        dlt.config[LOAD_WORKERS_SETTING] = 1


def analyst_copy_path(database: Path, value: str | None) -> Path | None:
    """Where analysts' copy of `database` is published, by [teamup_etl] analyst_copy (`value`);
    None when turned off ("" or false).

    A relative setting is taken from the working file's directory, so the two stay together.
    """
    if value is None:
        return database.with_name(f"{database.stem}{ANALYST_COPY_SUFFIX}{database.suffix}")
    if value.strip().lower() in ("", "false", "off"):
        return None
    copy = Path(value).expanduser()
    return checked_copy(copy if copy.is_absolute() else database.parent / copy, database)


def checked_copy(copy: Path, database: Path) -> Path:
    """The analyst copy, a file apart from the working file (publishing it onto the working
    file, or into a directory, would fail only after the run's load committed)."""
    name = EtlSettings.named("analyst_copy")
    if copy.resolve() == database.resolve():
        raise ConfigurationError(f"{name} is the working file {database} itself: name another")
    if copy.is_dir():
        raise ConfigurationError(f"{name} names the directory {copy}, not a file")
    return copy


def open_when_free(
    path: Path,
    timeout: float,
    read_only: bool = False,
    poll: float = POLL_SECONDS,
) -> duckdb.DuckDBPyConnection:
    """Connect to the file, waiting up to `timeout` seconds while another process holds it.

    DuckDB has no busy timeout of its own: a second process is refused at once, so we poll.
    """
    deadline = time.monotonic() + timeout
    warned = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            holder = LOCK_HOLDER.search(str(error))
            if not holder:
                raise WarehouseError(f"cannot open the warehouse {path}: {error}") from None
            who = f"{holder['program']} (PID {holder['pid']})"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseBusyError(
                    f"the warehouse {path} is locked by {who}: waited {timeout:g}s for it to "
                    "close; nothing was changed (analysts: open the analyst copy instead)"
                ) from None
            if not warned:
                logger.warning("the warehouse %s is locked by %s; waiting", path, who)
                warned = True
            time.sleep(min(poll, remaining))


@contextmanager
def held_open(
    path: Path, timeout: float, read_only: bool = False, limits: dict[str, Any] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection kept for the whole body: while it is open, no other process can take
    the file between dlt's steps (dlt closes and reopens its own connections; in this
    process they share this one's database instance, so `limits`, set GLOBAL here, bound
    theirs too)."""
    connection = open_when_free(path, timeout, read_only)
    try:
        for name, value in (limits or {}).items():
            try:
                connection.execute(f"set global {name} = ?", [value])
            except duckdb.Error as error:
                raise ConfigurationError(
                    f"TEAMUP_ETL__DUCKDB_{name.upper()} {value!r} is not accepted by DuckDB:"
                    f" {' '.join(str(error).split())}"
                ) from None
        yield connection
    finally:
        connection.close()


def publish_copy(connection: duckdb.DuckDBPyConnection, database: Path, copy: Path) -> None:
    """Replace the analyst copy with the working file as it is now, in one rename.

    The checkpoint folds the write-ahead log into the file, so the file alone is the whole
    warehouse; nobody writes while `connection` holds it. Readers of the old copy keep their
    snapshot (the rename leaves their open file alone); new readers get the new one, whole.
    """
    connection.execute("checkpoint")
    copy.parent.mkdir(parents=True, exist_ok=True)
    staged = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(database, staged)
        os.replace(staged, copy)
    except OSError as error:
        raise WarehouseError(f"could not publish the analyst copy {copy}: {error}") from None
    finally:
        staged.unlink(missing_ok=True)
    logger.info("published the analyst copy %s", copy)
