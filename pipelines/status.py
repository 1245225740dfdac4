"""`teamup-etl status`: how far the load has read, the last runs, and rows per table."""

from __future__ import annotations

from dataclasses import dataclass, field

import dlt

from sources.teamup import TABLES, existing_tables, read_watermarks

from .history import RunRecord, last_runs
from .runs import DATASET_NAME, database_path, make_pipeline, unwrap
from .warehouse_file import busy_timeout, held_open


@dataclass
class Status:
    watermarks: dict[str, str]
    runs: list[RunRecord] = field(default_factory=list)  # newest first
    loads: list[tuple[str, int, str]] = field(default_factory=list)  # dlt's, newest first
    rows: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        lines = ["watermarks (updated_at read up to, per provider):"]
        lines += [f"  provider {p}: {mark}" for p, mark in self.watermarks.items()] or [
            "  none yet"
        ]
        lines.append("last runs (run_history):")
        lines += [f"  {run.line()}" for run in self.runs] or ["  none yet"]
        lines.append("last loads (dlt's _dlt_loads):")
        lines += [
            f"  {load_id}  {'loaded' if code == 0 else f'status {code}'}  {at}"
            for load_id, code, at in self.loads
        ] or ["  none yet"]
        lines.append("rows per table:")
        lines += [f"  {table}: {n}" for table, n in self.rows.items()] or ["  no tables yet"]
        return "\n".join(lines)


def status(pipeline: dlt.Pipeline | None = None, last: int = 5) -> Status:
    """What the warehouse holds and how far the incremental load has read.

    Reads the working file read-only: it waits (up to the busy timeout) while a run holds it.
    """
    pipeline = pipeline or make_pipeline(progress=None)
    found = Status(read_watermarks(pipeline.state))
    database = database_path(pipeline)
    if not database.exists():
        return found
    try:
        with held_open(database, busy_timeout(), read_only=True) as connection:
            present = existing_tables(connection, DATASET_NAME)
            found.runs = last_runs(connection, DATASET_NAME, last)
            if "_dlt_loads" in present:
                found.loads = [
                    tuple(row)
                    for row in connection.execute(
                        f"select load_id, status, cast(inserted_at as varchar) "
                        f"from {DATASET_NAME}._dlt_loads order by inserted_at desc limit ?",
                        [int(last)],
                    ).fetchall()
                ]
            for table in (t for t in TABLES if t in present):
                count = connection.execute(f"select count(*) from {DATASET_NAME}.{table}")
                found.rows[table] = count.fetchall()[0][0]
    except Exception as error:
        raise unwrap(error) from error
    return found
