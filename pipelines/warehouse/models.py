"""The SQL models in sql/: built as views in dependency order, and the reconciliation check."""

from __future__ import annotations

import graphlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sources.teamup import existing_tables

from ..failures.errors import ConfigurationError, ModelError
from ..failures.unwrap import database_message
from ..settings import ModelSettings, checked_timezone, configured
from .reconcile import MonthMismatch, mismatched_months

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[2] / "sql"
# Each layer is a folder of sql/ and a schema of its own; the file name is the view's name.
LAYERS = {"staging": "teamup_staging", "marts": "teamup_marts"}
MODEL_NAME = re.compile(r"[a-z_][a-z0-9_]*")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Model:
    name: str
    schema: str
    path: Path
    sql: str  # the file's select, placeholders filled in
    depends_on: frozenset[str]  # other models, as schema.name
    reads: frozenset[str]  # loaded tables, as schema.name
    parsed: bool = True  # False: sqlglot could not read it; built last, the warehouse says why

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def reporting_timezone(value: str | None = None) -> str:
    """`value`, or else the configured reporting timezone ([models] reporting_timezone),
    checked to be a real zone."""
    if value is None:
        return configured(ModelSettings).reporting_timezone
    return checked_timezone(value)


def load_models(models_dir: Path | str | None = None, timezone: str = "UTC") -> list[Model]:
    """Every model under models_dir (sql/ by default), in the order to build them."""
    root = Path(models_dir or MODELS_DIR)
    if not root.is_dir():  # a moved sql/ would otherwise build no view, silently
        raise ModelError(f"no models folder at {root}")
    literal = "'" + timezone.replace("'", "''") + "'"  # validated already; quoted all the same
    models: dict[str, Model] = {}
    for layer, schema in LAYERS.items():
        for path in sorted((root / layer).glob("*.sql")):
            model = _read_model(path, schema, {"reporting_timezone": literal}, root)
            if model.qualified in models:
                raise ModelError(f"{_shown(path, root)}: a second model named {model.name}")
            models[model.qualified] = model
    return _in_build_order(models, root)


def build_models(
    pipeline: dlt.Pipeline,
    models_dir: Path | str | None = None,
    timezone: str | None = None,
) -> list[str]:
    """Replace every model's view, all or nothing; the names built, as schema.name.

    A model whose loaded tables are not there yet (a first load that brought no invoices) is
    skipped with a warning, and so is every model built on it. A model the warehouse rejects
    raises ModelError with its file's name and the database's message, and leaves the views
    as they were: the build is one transaction (DuckDB and PostgreSQL both roll DDL back).
    """
    zone = reporting_timezone(timezone)
    root = Path(models_dir or MODELS_DIR)
    if not root.is_dir():  # a moved sql/ would otherwise build no view, silently
        raise ModelError(f"no models folder at {root}")
    models = load_models(root, zone)
    with pipeline.sql_client() as client:
        _check_zone(client, zone)
        present = _tables(client, models)
        built: list[str] = []
        skipped: dict[str, str] = {}
        with client.begin_transaction():
            for schema in LAYERS.values():
                client.execute_sql(f"create schema if not exists {schema}")
            # The two schemas belong to sql/: every view in them is rebuilt from its file, or
            # dropped with it. Dropped first, not replaced: PostgreSQL replaces a view only
            # when its columns stay as they were.
            for view in _views(client):
                client.execute_sql(f"drop view if exists {view} cascade")
            for model in models:
                missing = sorted(model.reads - present)
                waiting = sorted(model.depends_on & skipped.keys())
                if missing or waiting:
                    skipped[model.qualified] = ", ".join(missing or waiting)
                    continue
                try:
                    client.execute_sql(f"create view {model.qualified} as\n{model.sql}")
                except Exception as error:
                    said = database_message(error, whole=True)
                    raise ModelError(f"{_shown(model.path, root)}: {said}") from error
                built.append(model.qualified)
    if skipped:
        logger.warning(
            "models skipped, their tables are not loaded yet: %s",
            "; ".join(f"{name} (needs {needs})" for name, needs in skipped.items()),
        )
    logger.info("built %d views in %s", len(built), ", ".join(LAYERS.values()))
    return built


def reconcile(pipeline: dlt.Pipeline) -> list[MonthMismatch]:
    """Due months whose invoice counts differ between the two invoice tables (reconcile.py)."""
    with pipeline.sql_client() as client:
        return mismatched_months(client)


# -- reading the files ---------------------------------------------------------------------


def _read_model(path: Path, schema: str, values: dict[str, str], root: Path) -> Model:
    shown = _shown(path, root)
    if not MODEL_NAME.fullmatch(path.stem):
        raise ModelError(f"{shown}: a model's file name is its view's: lower case, digits, _")
    text = path.read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ModelError(f"{shown}: unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    sql = PLACEHOLDER.sub(fill, text).strip().rstrip(";").rstrip()
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except SqlglotError as error:
        # The warehouse's parser is the one that counts: built last, it says what is wrong.
        logger.warning("%s: sqlglot could not read it (%s); building it last", shown, error)
        return Model(path.stem, schema, path, sql, frozenset(), frozenset(), parsed=False)
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"{shown}: a model is one select statement")
    depends_on, reads = _references(statements[0], shown)
    return Model(path.stem, schema, path, sql, frozenset(depends_on), frozenset(reads))


def _references(tree: exp.Query, shown: str) -> tuple[set[str], set[str]]:
    """(models, loaded tables) a select reads: every table it names that is not its own CTE."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    models: set[str] = set()
    tables: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function, e.g. generate_series(...)
        if not table.db:
            if table.name in ctes:
                continue
            # A view keeps its text and is bound again in the analyst's session, whose
            # search path is not ours: every table must be named with its schema.
            raise ModelError(f"{shown}: name {table.name} with its schema (e.g. teamup.x)")
        qualified = f"{table.db}.{table.name}"
        (models if table.db in LAYERS.values() else tables).add(qualified)
    return models, tables


def _in_build_order(models: dict[str, Model], root: Path) -> list[Model]:
    """Dependencies first (staging before marts falls out of them); ties by name."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, model in models.items():
        unknown = sorted(model.depends_on - models.keys())
        if unknown:
            raise ModelError(
                f"{_shown(model.path, root)}: reads {', '.join(unknown)}, which no model defines"
            )
        sorter.add(name, *model.depends_on)
    ordered: list[Model] = []
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise ModelError(f"models depend on each other in a cycle: {cycle}") from None
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += [models[name] for name in ready]
        sorter.done(*ready)
    return [m for m in ordered if m.parsed] + [m for m in ordered if not m.parsed]


def _shown(path: Path, root: Path) -> str:
    """The file as a reader finds it: sql/marts/x.sql for the project's own models."""
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


# -- the database ------------------------------------------------------------------------


def _check_zone(client: Any, zone: str) -> None:
    """The database's own zone list decides (DuckDB's ICU, PostgreSQL's tzdata): a zone it
    lacks would fail every query of the views."""
    try:
        client.execute_sql("select timestamptz '2000-01-01 00:00:00+00' at time zone %s", zone)
    except Exception:
        raise ConfigurationError(
            f"MODELS__REPORTING_TIMEZONE {zone!r} is not a time zone the warehouse knows"
        ) from None


def _tables(client: Any, models: list[Model]) -> set[str]:
    """The loaded tables the models read that exist, as schema.name."""
    schemas = {name.split(".")[0] for model in models for name in model.reads}
    return {f"{s}.{table}" for s in schemas for table in existing_tables(client, s)}


def _views(client: Any) -> list[str]:
    found = client.execute_sql(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_type = 'VIEW' "
        "and table_schema in (%s, %s) order by table_schema desc, table_name",
        *LAYERS.values(),
    )
    return [f"{schema}.{name}" for schema, name in found]
