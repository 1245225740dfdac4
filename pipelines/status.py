"""`teamup-etl status`: how far the load has read, the last runs, and rows per table."""

from __future__ import annotations

from dataclasses import dataclass, field

import dlt

from sources.teamup import TABLES, existing_tables, read_watermarks

from .failures.unwrap import unwrap
from .settings import EtlSettings, configured
from .warehouse.destination import database_path, is_local_file, make_pipeline, reading, shown
from .warehouse.run_history import RunRecord, last_runs


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


def status(
    pipeline: dlt.Pipeline | None = None, last: int = 5, settings: EtlSettings | None = None
) -> Status:
    """What the warehouse holds and how far the incremental load has read.

    A local DuckDB file is read read-only: it waits (up to the busy timeout) while a run
    holds it; a warehouse not made yet (no file) shows as empty. `settings`: [teamup_etl]
    as the command resolved it (else resolved here).
    """
    settings = settings or configured(EtlSettings)
    pipeline = pipeline or make_pipeline(progress=None, destination=settings.destination)
    found = Status(read_watermarks(pipeline.state))
    if is_local_file(pipeline) and not database_path(pipeline).exists():
        return found
    try:
        with reading(pipeline, busy_timeout=settings.busy_timeout_seconds) as client:
            present = existing_tables(client, client.dataset_name)
            found.runs = last_runs(client, last)
            if "_dlt_loads" in present:
                loads = client.make_qualified_table_name("_dlt_loads")
                found.loads = [
                    (load_id, int(code), str(at))
                    for load_id, code, at in client.execute_sql(
                        f"select load_id, status, inserted_at from {loads} "
                        "order by inserted_at desc limit %s",
                        int(last),
                    )
                ]
            for table in (t for t in TABLES if t in present):
                count = client.execute_sql(
                    f"select count(*) from {client.make_qualified_table_name(table)}"
                )
                found.rows[table] = int(count[0][0])
    except Exception as error:
        raise unwrap(error, shown(pipeline)) from error
    return found
