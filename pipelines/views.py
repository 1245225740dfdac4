"""The SQL models in sql/: built as views in dependency order, and the reconciliation check."""

from __future__ import annotations

import graphlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dlt
import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sources.teamup import existing_tables

from .exceptions import ConfigurationError, ModelError
from .reconcile import MonthMismatch, mismatched_months

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[1] / "sql"
# Each layer is a folder of sql/ and a schema of its own; the file name is the view's name.
LAYERS = {"staging": "teamup_staging", "marts": "teamup_marts"}
DEFAULT_REPORTING_TIMEZONE = "UTC"
TIMEZONE_SETTING = "models.reporting_timezone"  # MODELS__REPORTING_TIMEZONE
MODEL_NAME = re.compile(r"[a-z_][a-z0-9_]*")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# What a zone name may hold (IANA names, Etc/GMT+5, UTC): nothing that could leave a literal.
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")


@dataclass(frozen=True)
class Model:
    name: str
    schema: str
    path: Path
    sql: str  # the file's select, placeholders filled in
    depends_on: frozenset[str]  # other models, as schema.name
    reads: frozenset[str]  # loaded tables, as schema.name
    parsed: bool = True  # False: sqlglot could not read it; built last, DuckDB will say why

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def reporting_timezone(value: str | None = None) -> str:
    """The configured reporting timezone (UTC unless set), checked to be a real zone."""
    if value is None:
        value = dlt.config.get(TIMEZONE_SETTING, str) or DEFAULT_REPORTING_TIMEZONE
    name = str(value).strip()
    try:
        if not ZONE_NAME.fullmatch(name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"MODELS__REPORTING_TIMEZONE must be an IANA time zone such as Europe/London, "
            f"not {value!r}"
        ) from None
    return name


def load_models(models_dir: Path | str | None = None, timezone: str = "UTC") -> list[Model]:
    """Every model under models_dir (sql/ by default), in the order to build them."""
    root = Path(models_dir or MODELS_DIR)
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
    """Create or replace every model's view, all or nothing; the names built, as schema.name.

    A model whose loaded tables are not there yet (a first load that brought no invoices) is
    skipped with a warning, and so is every model built on it. A model DuckDB rejects raises
    ModelError with its file's name and DuckDB's message, and leaves the views as they were.
    """
    zone = reporting_timezone(timezone)
    root = Path(models_dir or MODELS_DIR)
    models = load_models(root, zone)
    with pipeline.sql_client() as client:
        connection: duckdb.DuckDBPyConnection = client.native_connection
        _check_zone_in_duckdb(connection, zone)
        present = _tables(connection, models)
        built: list[str] = []
        skipped: dict[str, str] = {}
        with _transaction(connection):
            for schema in LAYERS.values():
                connection.execute(f"create schema if not exists {schema}")
            for model in models:
                missing = sorted(model.reads - present)
                waiting = sorted(model.depends_on & skipped.keys())
                if missing or waiting:
                    skipped[model.qualified] = ", ".join(missing or waiting)
                    continue
                try:
                    connection.execute(f"create or replace view {model.qualified} as\n{model.sql}")
                except duckdb.Error as error:
                    raise ModelError(f"{_shown(model.path, root)}: {error}") from error
                built.append(model.qualified)
            # The two schemas belong to sql/: a view whose file is gone (or skipped) goes too.
            for stale in sorted(_views(connection) - set(built)):
                connection.execute(f"drop view {stale}")
    if skipped:
        logger.warning(
            "models skipped, their tables are not loaded yet: %s",
            "; ".join(f"{name} (needs {needs})" for name, needs in skipped.items()),
        )
    logger.info("built %d views in %s", len(built), ", ".join(LAYERS.values()))
    return built


def reconcile(pipeline: dlt.Pipeline) -> list[MonthMismatch]:
    """Due months whose invoice counts differ between the two invoice tables (see reconcile.py)."""
    with pipeline.sql_client() as client:
        return mismatched_months(client.native_connection, client.dataset_name)


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
        # DuckDB's parser is the one that counts: build it last and let DuckDB say what's wrong.
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


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All views or none: analysts never see half a build."""
    connection.begin()
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # DuckDB may have ended the transaction already
            connection.rollback()
        raise
    connection.commit()


def _check_zone_in_duckdb(connection: duckdb.DuckDBPyConnection, zone: str) -> None:
    """DuckDB's ICU has its own zone list; a zone it lacks would fail every query."""
    try:
        connection.execute("select timezone(?, timestamptz '2000-01-01 00:00:00+00')", [zone])
    except duckdb.Error:
        raise ConfigurationError(
            f"MODELS__REPORTING_TIMEZONE {zone!r} is not a time zone DuckDB knows"
        ) from None


def _tables(connection: duckdb.DuckDBPyConnection, models: list[Model]) -> set[str]:
    """The loaded tables the models read that exist, as schema.name."""
    schemas = {name.split(".")[0] for model in models for name in model.reads}
    return {f"{s}.{table}" for s in schemas for table in existing_tables(connection, s)}


def _views(connection: duckdb.DuckDBPyConnection) -> set[str]:
    found = connection.execute(
        "select schema_name || '.' || view_name from duckdb_views() "
        "where database_name = current_database() and schema_name in (?, ?)",
        list(LAYERS.values()),
    ).fetchall()
    return {name for (name,) in found}
