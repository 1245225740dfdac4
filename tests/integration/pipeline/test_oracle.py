"""The oracle the exactness tests end with can fail: a wrong cent, count or name is caught."""

from __future__ import annotations

import duckdb
import pytest

CORRUPTIONS = {
    "a-cent": (
        "update teamup.invoices set total_amount = total_amount + 0.01 "
        "where id = (select min(id) from teamup.invoices)",
        "invoices differs from the oracle",
        "total_amount",
    ),
    "a-count": (
        "update teamup.invoices_grouped set invoice_count = invoice_count + 1 "
        "where group_key = (select min(group_key) from teamup.invoices_grouped)",
        "invoices_grouped differs from the oracle",
        "invoice_count",
    ),
    "a-name": (
        "update teamup.customers set name = name || ' Jr' "
        "where id = (select min(id) from teamup.customers)",
        "customers differs from the oracle",
        "name",
    ),
    "a-lost-invoice": (
        "delete from teamup.invoices where id = (select max(id) from teamup.invoices)",
        "1 rows missing, 0 unexpected",
        "missing",
    ),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_the_oracle_finds_one_wrong_value(make_harness, corruption):
    harness = make_harness(invoices=300)
    harness.load()
    harness.oracle().check(harness.target)  # as loaded: no difference
    sql, table, column = CORRUPTIONS[corruption]
    with duckdb.connect(str(harness.database)) as con:
        con.execute(sql)
    with pytest.raises(AssertionError, match=table) as found:
        harness.oracle().check(harness.target)
    assert column in str(found.value)


def test_the_oracle_finds_a_mart_that_disagrees_with_the_sandbox(make_harness):
    """The raw tables as loaded, one view's figures off by one: the marts are compared too."""
    harness = make_harness(invoices=300)
    harness.load()
    with duckdb.connect(str(harness.database)) as con:
        con.execute("create table teamup.kept as select * from teamup_marts.paying_customers")
        con.execute(
            "create or replace view teamup_marts.paying_customers as select month, "
            "provider_id, paying_customers + 1 as paying_customers, new_paying_customers "
            "from teamup.kept"
        )
    with pytest.raises(AssertionError, match="paying_customers"):
        harness.oracle().check(harness.target)


def test_the_due_month_columns_are_filled_whatever_the_grouping(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__GROUPED_COLUMNS", '["status", "purchase_type"]')
    harness.load()
    rows = harness.query(
        "select count(*) from teamup.invoices_grouped "
        "where due_date_year is distinct from year(due_month) "
        "or due_date_month is distinct from month(due_month)"
    )
    assert rows == [(0,)]
