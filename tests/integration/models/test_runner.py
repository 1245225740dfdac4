"""The model runner: dependency order, idempotence, broken models, skipped and stale views."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import cli, runs
from pipelines.failures.errors import ConfigurationError, ModelError
from pipelines.warehouse.models import MODELS_DIR, build_models, load_models, reporting_timezone


def views(database: Path) -> dict[str, tuple[str, list[tuple]]]:
    """Each model view's stored definition and its rows, sorted."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select schema_name || '.' || view_name, sql from duckdb_views() "
            "where schema_name in ('teamup_staging', 'teamup_marts') order by 1"
        ).fetchall()
        return {
            name: (sql, con.execute(f"select * from {name} order by all").fetchall())
            for name, sql in found
        }


def models_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(MODELS_DIR, copy)
    return copy


def write_model(root: Path, relative: str, sql: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")


def test_the_models_are_built_in_dependency_order():
    order = [model.qualified for model in load_models()]
    assert order.index("teamup_staging.stg_invoices") < order.index(
        "teamup_marts.revenue_by_purchase_type"
    )
    assert order.index("teamup_marts.revenue_by_purchase_type") < order.index(
        "teamup_marts.monthly_revenue"
    )
    assert order.index("teamup_marts.monthly_revenue") < order.index("teamup_marts.revenue_growth")
    assert all(name.startswith("teamup_staging.") for name in order[:3])


def test_models_applied_twice_leave_the_same_views(harness):
    summary = harness.load()
    before = views(harness.database)
    assert set(before) == set(summary.views_built)
    again = build_models(runs.make_pipeline())
    assert again == summary.views_built
    assert views(harness.database) == before
    assert build_models(runs.make_pipeline()) == again
    assert views(harness.database) == before


def test_a_broken_model_fails_naming_its_file_and_changes_no_view(harness, tmp_path):
    harness.load()
    before = views(harness.database)
    copy = models_copy(tmp_path)
    # built before the broken one: must be rolled back with it
    text = (copy / "marts" / "monthly_invoices.sql").read_text()
    write_model(copy, "marts/monthly_invoices.sql", text.replace("select * from final", "select 1"))
    write_model(
        copy, "marts/zz_broken.sql", "select no_such_column\nfrom teamup_staging.stg_invoices\n"
    )
    with pytest.raises(ModelError) as raised:
        build_models(runs.make_pipeline(), copy)
    message = str(raised.value)
    assert message.startswith("models/marts/zz_broken.sql: ")
    assert "Binder Error" in message and "no_such_column" in message
    assert views(harness.database) == before

    write_model(copy, "marts/zz_broken.sql", "select from where (\n")
    with pytest.raises(ModelError) as raised:
        build_models(runs.make_pipeline(), copy)
    assert "zz_broken.sql" in str(raised.value) and "Parser Error" in str(raised.value)
    assert views(harness.database) == before


def test_a_broken_model_is_exit_7_with_one_line(harness, tmp_path, monkeypatch, capsys):
    harness.load()
    copy = models_copy(tmp_path)
    write_model(copy, "staging/stg_customers.sql", "select nothing_here from teamup.customers")
    monkeypatch.setattr("pipelines.warehouse.models.MODELS_DIR", copy)
    assert cli.main(["models"]) == 7
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("teamup-etl: error: models/staging/stg_customers.sql: Binder Error")


def test_a_view_whose_file_is_gone_is_dropped(harness, tmp_path):
    harness.load()
    copy = models_copy(tmp_path)
    write_model(
        copy, "marts/scratch.sql", "select count(*) as n from teamup_marts.monthly_invoices"
    )
    write_model(
        copy,
        "marts/scratch.yml",
        "description: Invoices in all.\ncolumns:\n"
        "  - {name: n, type: BIGINT, description: How many.}\n",
    )
    assert "teamup_marts.scratch" in build_models(runs.make_pipeline(), copy)
    assert harness.query("select n from teamup_marts.scratch")[0][0] > 0
    assert "teamup_marts.scratch" not in build_models(runs.make_pipeline())
    assert "teamup_marts.scratch" not in views(harness.database)


def test_models_on_a_missing_table_are_skipped_with_a_warning(harness, caplog):
    harness.load()
    with duckdb.connect(str(harness.database)) as con:
        con.execute("drop table teamup.invoices")
    with caplog.at_level(logging.WARNING, logger="pipelines.warehouse.models"):
        built = build_models(runs.make_pipeline())
    assert set(built) == {
        "teamup_staging.stg_customers",
        "teamup_staging.stg_invoices_grouped",
        "teamup_marts.monthly_invoices",
        "teamup_marts.monthly_payments",
    }
    assert "teamup_staging.stg_invoices (needs teamup.invoices)" in caplog.text
    assert "teamup_marts.monthly_revenue" in caplog.text
    assert set(views(harness.database)) == set(built)


def test_models_before_any_load_build_nothing(isolated, monkeypatch):
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(isolated / "empty.duckdb"))
    assert runs.models().views_built == []


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("select * from invoices", "name invoices with its schema"),
        ("select * from teamup_marts.nowhere", "reads teamup_marts.nowhere, which no model"),
        ("select {{ colour }} from teamup.invoices", "unknown placeholder {{ colour }}"),
        ("select 1; select 2", "a model is one select statement"),
        ("delete from teamup.invoices", "a model is one select statement"),
    ],
)
def test_a_model_the_runner_cannot_place_is_refused_naming_it(tmp_path, sql, error):
    write_model(tmp_path / "sql", "marts/odd.sql", sql)
    with pytest.raises(ModelError) as raised:
        load_models(tmp_path / "sql")
    assert str(raised.value).startswith("sql/marts/odd.sql: ")
    assert error in str(raised.value)


def test_models_that_read_each_other_in_a_cycle_are_refused(tmp_path):
    write_model(tmp_path / "sql", "marts/a.sql", "select * from teamup_marts.b")
    write_model(tmp_path / "sql", "marts/b.sql", "select * from teamup_marts.a")
    with pytest.raises(ModelError, match="cycle"):
        load_models(tmp_path / "sql")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "UTC'; drop table teamup.invoices; --", ""])
def test_a_reporting_timezone_that_is_no_zone_is_a_configuration_error(zone):
    with pytest.raises(ConfigurationError, match="MODELS__REPORTING_TIMEZONE"):
        reporting_timezone(zone)


def test_the_reporting_timezone_is_read_from_dlt_config(monkeypatch):
    assert reporting_timezone() == "UTC"
    monkeypatch.setenv("MODELS__REPORTING_TIMEZONE", "Asia/Tokyo")
    assert reporting_timezone() == "Asia/Tokyo"


def test_a_models_folder_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(ModelError, match="no models folder at"):
        load_models(tmp_path / "moved")
