"""The descriptions written into the warehouse as COMMENT ON, after every build of the views."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..failures.errors import ModelError
from .descriptions import SOURCES_FILE, Described, read_model, read_sources

logger = logging.getLogger(__name__)

DLT_PREFIX = "_dlt_"  # dlt's own tables and columns: dlt's to describe, not ours


class Model(Protocol):
    """A built model as models.py has it (named here: models.py imports this module)."""

    @property
    def name(self) -> str: ...
    @property
    def schema(self) -> str: ...
    @property
    def path(self) -> Path: ...


def describe_warehouse(client: Any, models: Iterable[Model], root: Path) -> int:
    """Comment every built view and its columns, and the loaded tables of teamup; the number
    of comments written. Run in the build's transaction: a view dropped and created again
    has lost its comments. A view whose columns are not its description's (names, order)
    raises ModelError naming the .yml."""
    sources = read_sources(root, f"{root.name}/{SOURCES_FILE}")
    models = list(models)
    schemas = {sources.schema} | {model.schema for model in models}
    found = _columns(client, schemas)
    statements: list[str] = []
    for model in models:
        shown = _shown(model.path, root)
        described = read_model(model.path, model.schema, shown)
        columns = found.get((model.schema, model.name), [])
        declared = [c.name for c in described.columns]
        if columns != declared:
            raise ModelError(
                f"{_shown(described.path, root)}: its columns are not the view's "
                f"(described {', '.join(declared)}; the view has {', '.join(columns)})"
            )
        statements += _comments("view", described.description, described, columns)
    undescribed: list[str] = []
    for (schema, table), columns in sorted(found.items()):
        if schema != sources.schema or table.startswith(DLT_PREFIX):
            continue
        known = sources.describe(table)
        if known is None:
            undescribed.append(f"{schema}.{table}")
            continue
        ours = [c for c in columns if not c.startswith(DLT_PREFIX)]
        undescribed += [f"{schema}.{table}.{c}" for c in ours if known[1].column(c) is None]
        statements += _comments("table", known[0], known[1], ours)
    for statement in statements:
        client.execute_sql(statement)
    if undescribed:
        # a column the API added (purchased_item_<key>) must not stop the night's load
        logger.warning(
            "not described in %s/%s: %s", root.name, SOURCES_FILE, ", ".join(undescribed)
        )
    return len(statements)


def _comments(kind: str, text: str, described: Described, columns: list[str]) -> list[str]:
    name = f'"{described.schema}"."{described.name}"'
    statements = [f"comment on {kind} {name} is {_literal(text)}"]
    for column in columns:
        if (found := described.column(column)) is not None:
            statements.append(
                f'comment on column {name}."{column}" is {_literal(found.description)}'
            )
    return statements


def _literal(text: str) -> str:
    """A SQL string literal: COMMENT ON takes no parameters on either warehouse."""
    return "'" + text.replace("'", "''") + "'"


def _columns(client: Any, schemas: set[str]) -> dict[tuple[str, str], list[str]]:
    """Every table's and view's columns in the schemas, in their order."""
    listed = ", ".join(_literal(s) for s in sorted(schemas))
    rows = client.execute_sql(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_catalog = current_database() and table_schema in ({listed}) "
        "order by table_schema, table_name, ordinal_position"
    )
    found: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows or []:
        found.setdefault((schema, table), []).append(column)
    return found


def _shown(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)
