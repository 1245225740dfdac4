"""The warehouse's descriptions: each model's .yml beside its .sql, and sql/sources.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..failures.errors import ModelError

SOURCES_FILE = "sources.yml"  # the tables of schema teamup, beside the layers' folders


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as DuckDB's information_schema names it, e.g. DECIMAL(38,2)
    description: str


@dataclass(frozen=True)
class Described:
    """A table or view: what it holds, its grain and its columns, in order."""

    schema: str
    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    path: Path  # the file that says so

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Sources:
    """sql/sources.yml: the loaded tables, and the audit's scratch tables by their prefix."""

    schema: str
    tables: dict[str, Described]
    scratch_prefix: str
    scratch_description: str  # {table} is the table copied

    def describe(self, table: str) -> tuple[str, Described] | None:
        """(the table's description, whose columns it has) for a table of the schema."""
        if table in self.tables:
            return self.tables[table].description, self.tables[table]
        copied = table.removeprefix(self.scratch_prefix)
        if table.startswith(self.scratch_prefix) and copied in self.tables:
            return self.scratch_description.format(table=copied), self.tables[copied]
        return None


def description_path(sql_path: Path) -> Path:
    return sql_path.with_suffix(".yml")


def read_model(sql_path: Path, schema: str, shown: str) -> Described:
    """The description beside a model's file; a model without one is refused."""
    path = description_path(sql_path)
    if not path.is_file():
        raise ModelError(f"{shown}: no description beside it ({path.name}): describe its columns")
    return _described(_read(path, shown), schema, sql_path.stem, path, shown)


def read_sources(root: Path, shown: str) -> Sources:
    path = root / SOURCES_FILE
    data = _read(path, shown)
    schema = _text(data, "schema", shown)
    tables = {}
    for entry in _list(data, "tables", shown):
        name = _text(entry, "name", shown)
        tables[name] = _described(entry, schema, name, path, f"{shown}: {name}")
    scratch = data.get("scratch") or {}
    return Sources(
        schema,
        tables,
        _text(scratch, "prefix", f"{shown}: scratch"),
        _text(scratch, "description", f"{shown}: scratch"),
    )


def _read(path: Path, shown: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ModelError(f"{shown}: cannot read it: {' '.join(str(error).split())}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{shown}: not a mapping of description, grain and columns")
    return data


def _described(data: dict[str, Any], schema: str, name: str, path: Path, shown: str) -> Described:
    columns = []
    for entry in _list(data, "columns", shown):
        column = _text(entry, "name", shown)
        where = f"{shown}: column {column}"
        columns.append(
            Column(column, _text(entry, "type", where), _text(entry, "description", where))
        )
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ModelError(f"{shown}: a column is described twice")
    grain = tuple(str(g) for g in data.get("grain") or ())
    if not set(grain) <= set(names):
        raise ModelError(f"{shown}: its grain names columns it does not describe")
    return Described(schema, name, _text(data, "description", shown), grain, tuple(columns), path)


def _text(data: Any, key: str, shown: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ModelError(f"{shown}: '{key}' is missing or empty")
    return " ".join(value.split())


def _list(data: dict[str, Any], key: str, shown: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise ModelError(f"{shown}: '{key}' is missing or empty")
    return value
