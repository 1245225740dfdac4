"""The configuration names are a contract: each one works as documented."""

from __future__ import annotations

from datetime import date

from pipelines import runs


def test_start_date_bounds_the_first_load(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__START_DATE", "2025-06-15")
    harness.load()
    expected = sum(1 for i in harness.sandbox.invoices() if i.due_date >= date(2025, 6, 15))
    loaded = harness.query("select sum(invoice_count), min(due_month) from teamup.invoices_grouped")
    assert loaded == [(expected, date(2025, 6, 1))]
    for entry in harness.sandbox.log.requests("invoices.grouped"):
        assert entry.info.params["due_date_gte"][0] >= "2025-06-15"


def test_the_database_and_the_state_go_where_configured(harness, isolated):
    harness.load()
    assert harness.database.exists()
    assert (isolated / "dlt_data" / "pipelines" / runs.PIPELINE_NAME).is_dir()


def test_without_a_database_setting_the_file_is_named_after_the_pipeline(harness, monkeypatch):
    monkeypatch.delenv("DESTINATION__DUCKDB__CREDENTIALS")
    runs.load()
    assert (harness.workdir / f"{runs.PIPELINE_NAME}.duckdb").exists()
    assert runs.PIPELINE_NAME != runs.DATASET_NAME


def test_the_grouped_columns_are_configurable(harness, monkeypatch):
    monkeypatch.setenv(
        "SOURCES__TEAMUP__GROUPED_COLUMNS", '["status", "customer_id", "purchase_type"]'
    )
    harness.load()
    columns = {
        name
        for (name,) in harness.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'teamup' and table_name = 'invoices_grouped'"
        )
    }
    assert {"status", "customer_id", "purchase_type", "due_month", "invoice_count"} <= columns
    total = harness.query("select sum(invoice_count) from teamup.invoices_grouped")[0][0]
    assert total == len(harness.sandbox.invoices())
    harness.later()
    harness.sandbox.delete_invoice(harness.sandbox.invoices()[7].id)
    harness.later()
    harness.load()
    total = harness.query("select sum(invoice_count) from teamup.invoices_grouped")[0][0]
    assert total == len(harness.sandbox.invoices())


def test_a_grouping_without_customers_refreshes_whole_months(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__GROUPED_COLUMNS", '["status", "purchase_type"]')
    harness.load()
    harness.later()
    invoice = next(i for i in harness.sandbox.invoices() if i.status == "open")
    harness.sandbox.pay(invoice.id)
    harness.later()
    summary = harness.load()
    assert summary.months_refreshed >= 1
    monthly = harness.query(
        "select status, sum(invoice_count) from teamup.invoices_grouped where due_month = ? "
        "group by all",
        invoice.due_date.replace(day=1),
    )
    expected: dict[str, int] = {}
    for other in harness.sandbox.invoices():
        if other.due_date.replace(day=1) == invoice.due_date.replace(day=1):
            expected[other.status] = expected.get(other.status, 0) + 1
    assert dict(monthly) == expected


def test_a_grouping_without_status_refreshes_only_what_changed(harness, monkeypatch):
    """The checksum counts by status; without status among the columns the warehouse cannot,
    so the two are compared per month. (Compared per status, every month differed, and every
    night re-fetched the whole history.)"""
    monkeypatch.setenv("SOURCES__TEAMUP__GROUPED_COLUMNS", '["customer", "purchase_type"]')
    harness.settled()
    quiet = harness.load()
    assert (quiet.months_refreshed, quiet.partitions_refreshed) == (0, 0)
    invoices = harness.sandbox.invoices()
    harness.sandbox.delete_invoice(next(i.id for i in invoices if i.status == "upcoming"))
    harness.sandbox.pay(next(i.id for i in invoices if i.status == "open"))
    harness.later()
    night = harness.load()
    assert night.months_refreshed <= 2
    harness.assert_exact()


def test_dlt_merge_staging_stays_out_of_the_staging_views_schema(harness):
    harness.load()
    harness.later()
    harness.sandbox.pay(next(i for i in harness.sandbox.invoices() if i.status == "open").id)
    harness.later()
    harness.load()  # a merge: dlt fills its staging dataset
    kinds = dict(
        harness.query(
            "select table_schema, list(distinct table_type) from information_schema.tables "
            "where table_schema like 'teamup%' group by all"
        )
    )
    assert kinds["teamup_staging"] == ["VIEW"]
    assert kinds["teamup_load_staging"] == ["BASE TABLE"]
