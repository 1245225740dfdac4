"""The warehouses a test loads into, a DuckDB file or a PostgreSQL database, read apart from dlt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tests.support import postgres

DESTINATIONS = ("duckdb", "postgres")


@dataclass(frozen=True)
class Target:
    """Where a pipeline loads (`kind`: duckdb or postgres) and how a test reads it: with the
    database's own driver, not through the code under test."""

    kind: str
    location: str  # the DuckDB file's path, or the PostgreSQL database's URL

    @property
    def path(self) -> Path:
        return Path(self.location)

    def env(self) -> dict[str, str]:
        """The settings a user would set for this warehouse."""
        if self.kind == "duckdb":
            return {"DESTINATION__DUCKDB__CREDENTIALS": self.location}
        return {
            "TEAMUP_ETL__DESTINATION": "postgres",
            "DESTINATION__POSTGRES__CREDENTIALS": self.location,
        }

    def rows(
        self, sql: str, params: Sequence[Any] = (), session_timezone: str | None = None
    ) -> list[tuple]:
        """The query's rows; `?` marks parameters on both engines."""
        if self.kind == "duckdb":
            with duckdb.connect(self.location, read_only=True) as con:
                if session_timezone:
                    con.execute(f"set TimeZone = '{session_timezone}'")
                return con.execute(sql, list(params)).fetchall()
        with postgres.connect(self.location) as con, con.cursor() as cursor:
            if session_timezone:
                cursor.execute("select set_config('TimeZone', %s, false)", [session_timezone])
            cursor.execute(sql.replace("?", "%s"), list(params) or None)
            return [tuple(row) for row in cursor.fetchall()]

    def exists(self) -> bool:
        if self.kind == "duckdb":
            return self.path.exists()
        return True  # the fixture made the database


# A factory of empty warehouses of one kind: name -> Target.
MakeTarget = Callable[[str], Target]


def duckdb_targets(directory: Path) -> MakeTarget:
    return lambda name: Target("duckdb", str(directory / f"{name}.duckdb"))


def postgres_targets(server: str, made: list[str]) -> MakeTarget:
    """Each call a new database on the server, listed in `made` to be dropped afterwards."""

    def make(name: str) -> Target:
        dsn = postgres.loader_database(server)
        made.append(postgres.with_database(server, postgres.database_of(dsn)))
        return Target("postgres", dsn)

    return make
