"""The model runner's reading of a select: which models and loaded tables it depends on."""

from __future__ import annotations

import pytest
import sqlglot

from pipelines.failures.errors import ModelError
from pipelines.warehouse.models import _references


def references(sql: str) -> tuple[set[str], set[str]]:
    return _references(sqlglot.parse_one(sql, read="duckdb"), "sql/marts/x.sql")


def test_models_and_loaded_tables_are_told_apart_by_schema():
    sql = """
        select * from teamup_staging.stg_invoices
        join teamup_marts.monthly_revenue using (month)
        join teamup.customers using (customer_id)
    """
    assert references(sql) == (
        {"teamup_staging.stg_invoices", "teamup_marts.monthly_revenue"},
        {"teamup.customers"},
    )


def test_its_own_ctes_and_table_functions_are_not_dependencies():
    sql = """
        with invoices as (select * from teamup_staging.stg_invoices),
        months as (select * from generate_series(date '2026-01-01', date '2026-03-01',
                                                  interval 1 month) as s(month))
        select * from invoices cross join months
    """
    assert references(sql) == ({"teamup_staging.stg_invoices"}, set())


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("select * from invoices", id="bare-table"),
        pytest.param(
            "with a as (select 1) select * from a join customers on true", id="bare-beside-cte"
        ),
    ],
)
def test_a_table_without_its_schema_is_refused_naming_the_file(sql):
    # a view is bound again in the analyst's session, whose search path is not the loader's
    with pytest.raises(ModelError, match=r"^sql/marts/x.sql: name \w+ with its schema"):
        references(sql)
