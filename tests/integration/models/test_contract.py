"""The contract of every view and table: its declared columns, types and grain, and their
descriptions written into the warehouse, on DuckDB and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines import runs
from pipelines.failures.errors import ModelError
from pipelines.warehouse.models import build_models
from tests.support.targets import DESTINATIONS, Target

SQL = Path(__file__).resolve().parents[3] / "sql"
LAYERS = {"staging": "teamup_staging", "marts": "teamup_marts"}
# A declared type (DuckDB's name) as PostgreSQL's information_schema names it.
ON_POSTGRES = {
    "BIGINT": "bigint",
    "VARCHAR": "character varying",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "DOUBLE": "double precision",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}


def declared() -> dict[tuple[str, str], dict]:
    """Every model's .yml and each table of sources.yml, by (schema, name), read here."""
    found = {}
    for layer, schema in LAYERS.items():
        for path in sorted((SQL / layer).glob("*.sql")):
            found[(schema, path.stem)] = yaml.safe_load(path.with_suffix(".yml").read_text())
    sources = yaml.safe_load((SQL / "sources.yml").read_text())
    for table in sources["tables"]:
        found[(sources["schema"], table["name"])] = table
    return found


def as_stored(kind: str, declared_type: str) -> str:
    if kind == "duckdb":
        return declared_type
    return "numeric" if declared_type.startswith("DECIMAL(") else ON_POSTGRES[declared_type]


def columns(target: Target, schema: str, name: str) -> list[tuple[str, str]]:
    return target.rows(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    )


def comments(target: Target) -> dict[tuple[str, str, str | None], str | None]:
    """(schema, table, column or None for the table itself) -> its comment, dlt's apart."""
    if target.kind == "duckdb":
        rows = target.rows(
            "select schema_name, table_name, null, comment from duckdb_tables() "
            "union all select schema_name, view_name, null, comment from duckdb_views() "
            "union all select schema_name, table_name, column_name, comment from duckdb_columns()"
        )
    else:
        rows = target.rows(
            "select n.nspname, c.relname, a.attname, "
            "case when a.attname is null then obj_description(c.oid, 'pg_class') "
            "else col_description(c.oid, a.attnum) end "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
            "and not a.attisdropped and a.attname is not null "
            "where c.relkind in ('r', 'v') "
            "union all select n.nspname, c.relname, null, obj_description(c.oid, 'pg_class') "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('r', 'v')"
        )
    return {
        (schema, table, column): comment
        for schema, table, column, comment in rows
        if schema in ("teamup", *LAYERS.values())
        and not table.startswith("_dlt_")
        and not (column or "").startswith("_dlt_")
    }


def text(value: str) -> str:
    return " ".join(value.split())


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_the_warehouse_is_as_described(make_harness, destination):
    harness = make_harness(destination, invoices=400, audit=True)
    harness.settled()  # a second night: the rolling audit has made audit_log
    target = harness.target
    contract = declared()
    for (schema, name), spec in contract.items():
        want = [(c["name"], as_stored(target.kind, c["type"])) for c in spec["columns"]]
        got = columns(target, schema, name)
        if schema == "teamup":  # dlt's order follows the data; dlt's own columns apart
            got = [c for c in got if not c[0].startswith("_dlt_")]
            assert sorted(got) == sorted(want), f"{schema}.{name}: columns or types differ"
        else:
            assert got == want, f"{schema}.{name}: columns, types or order differ"
        if schema == "teamup_marts":
            grain = ", ".join(spec["grain"])
            assert grain, f"{name}: a mart declares its grain"
            twice = target.rows(
                f"select count(*) from (select {grain} from {schema}.{name} "
                f"group by {grain} having count(*) > 1) as repeated"
            )
            assert twice == [(0,)], f"{name}: two rows share the grain ({grain})"
            assert target.rows(f"select count(*) from {schema}.{name}")[0][0] > 0, name

    # Every table, view and column of the three schemas carries its description.
    found = comments(target)
    present = {(schema, table) for schema, table, _ in found}
    assert present == set(contract), "a table or view is not described, or not there"
    for (schema, table, column), comment in found.items():
        spec = contract[(schema, table)]
        if column is None:
            assert comment == text(spec["description"]), f"{schema}.{table}"
        else:
            (described,) = [c for c in spec["columns"] if c["name"] == column]
            assert comment == text(described["description"]), f"{schema}.{table}.{column}"


def test_a_view_unlike_its_description_fails_the_build_and_changes_nothing(harness, tmp_path):
    harness.load()
    before = harness.query("select comment from duckdb_views() where view_name = 'receivables'")
    copy = tmp_path / "sql"
    shutil.copytree(SQL, copy)
    described = copy / "marts" / "receivables.yml"
    described.write_text(described.read_text().replace("name: amount_due", "name: amount_owed"))
    with pytest.raises(ModelError) as raised:
        build_models(runs.make_pipeline(), copy)
    assert str(raised.value).startswith("sql/marts/receivables.yml: its columns are not the view's")
    assert "amount_owed" in str(raised.value)
    after = harness.query("select comment from duckdb_views() where view_name = 'receivables'")
    assert after == before and before[0][0]

    described.unlink()
    with pytest.raises(ModelError, match=r"sql/marts/receivables.sql: no description beside it"):
        build_models(runs.make_pipeline(), copy)
