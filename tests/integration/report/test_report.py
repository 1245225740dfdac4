"""The report's figures against the sandbox's invoices, its safety, and how it fails."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines import report
from pipelines.failures.errors import ConfigurationError, WarehouseError
from pipelines.report import write_report
from tests.support.expected import Expected

from .helpers import (
    HOSTILE_STATUS,
    HOSTILE_TYPE,
    TODAY,
    cents,
    dated,
    hostile_copy,
    provider,
    read_page,
    records,
    window,
)

ZERO = Decimal("0.00")


# -- expected values, from the sandbox's invoices (tests/support/expected.py), never the views --


def collected(paid: Decimal, billed: Decimal) -> str:
    if billed == 0:
        return "—"
    return f"{(paid * 100 / billed).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def expected_revenue(expected: Expected, months: list[date], several: bool) -> list[dict]:
    revenue = expected.monthly_revenue()
    lines = sorted({(pid, cur) for month, pid, cur in revenue if month in months})
    rows = []
    for month in months:
        for pid, currency in lines:
            paid, gross, refunds, net = revenue.get((month, pid, currency), (0, ZERO, ZERO, ZERO))
            rows.append(
                {
                    "month": f"{month:%Y-%m}",
                    **provider(pid, several),
                    "currency": currency,
                    "paid invoices": f"{paid:,}",
                    "gross revenue": cents(gross),
                    "refunds": cents(refunds),
                    "net revenue": cents(net),
                }
            )
    return rows


def expected_counts(
    counts: dict[tuple[date, int, str], int], months: list[date], pids: list[int]
) -> list[dict]:
    """A row per month (and provider), a column per category seen in the window, and a
    total row per month when there are several providers."""
    seen = {name for (month, _, name), n in counts.items() if month in months and n}
    rows = []
    for month in months:
        groups = [(str(pid), [pid]) for pid in pids] + ([("all", pids)] if len(pids) > 1 else [])
        for label, members in groups:
            row = {name: sum(counts.get((month, p, name), 0) for p in members) for name in seen}
            total = sum(row.values())
            rows.append(
                {
                    "month": f"{month:%Y-%m}",
                    **({"provider": label} if len(pids) > 1 else {}),
                    **{name: f"{n:,}" for name, n in row.items()},
                    "total": f"{total:,}",
                }
            )
    return rows


def paid_counts(expected: Expected) -> dict[tuple[date, int, str], int]:
    counts: defaultdict[tuple[date, int, str], int] = defaultdict(int)
    for (month, pid, _, purchase_type), values in expected.revenue_by_purchase_type().items():
        counts[(month, pid, purchase_type)] += values[0]
    return counts


def status_counts(expected: Expected) -> dict[tuple[date, int, str], int]:
    counts: defaultdict[tuple[date, int, str], int] = defaultdict(int)
    for (month, pid, status, _), (n,) in expected.monthly_invoices().items():
        counts[(month, pid, status)] += n
    return counts


def expected_collection(expected: Expected, months: list[date], several: bool) -> list[dict]:
    rates = expected.collection_rate()
    lines = sorted({(pid, cur) for month, pid, cur in rates if month in months})
    rows = []
    for month in months:
        for pid, currency in lines:
            billed_n, paid_n, billed, paid, unpaid, rate = rates.get(
                (month, pid, currency), (0, 0, ZERO, ZERO, ZERO, None)
            )
            shown = collected(paid, billed)
            if rate is not None:  # the exact percentage agrees with the view's DOUBLE
                assert abs(float(shown.rstrip("%")) - 100 * rate) <= 0.05
            rows.append(
                {
                    "month": f"{month:%Y-%m}",
                    **provider(pid, several),
                    "currency": currency,
                    "billed invoices": f"{billed_n:,}",
                    "paid invoices": f"{paid_n:,}",
                    "billed": cents(billed),
                    "paid": cents(paid),
                    "unpaid": cents(unpaid),
                    "collected": shown,
                }
            )
    return rows


def check_tables(
    path: Path, expected: Expected, months: list[date], pids: list[int], today: date | None = None
) -> None:
    tables = read_page(path).tables
    several = len(pids) > 1
    assert records(tables["table-revenue"]) == dated(
        expected_revenue(expected, months, several), today
    )
    assert_same_rows(
        records(tables["table-paid-by-type"]),
        dated(expected_counts(paid_counts(expected), months, pids), today),
    )
    assert_same_rows(
        records(tables["table-status-mix"]),
        dated(expected_counts(status_counts(expected), months, pids), today),
    )
    assert records(tables["table-collection"]) == dated(
        expected_collection(expected, months, several), today
    )


def assert_same_rows(got: list[dict], want: list[dict]) -> None:
    # categories that never occur in the window may be left out of the page: zero columns
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row == {k: v for k, v in want_row.items() if k in got_row}, got_row["month"]
        assert set(want_row) - set(got_row) <= {k for k, v in want_row.items() if v == "0"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the tests -----------------------------------------------------------------------------


def test_the_tables_hold_the_sandboxs_figures_to_the_cent(loaded, tmp_path):
    before = digest(loaded.database)
    target = tmp_path / "report.html"
    summary = write_report(loaded.database, target, today=TODAY)

    expected = Expected(loaded.invoices, {1: 0})
    months = window(expected, 24)
    assert (summary.first_month, summary.last_month, summary.months) == (months[0], months[-1], 24)
    assert summary.charts == 9  # and the members section's five (test_members.py)
    assert summary.line() == (
        f"report: 9 charts, {months[0]:%Y-%m}..{months[-1]:%Y-%m}, written to {target}"
    )
    check_tables(target, expected, months, [0], TODAY)

    page = read_page(target)
    assert f"{months[0]:%B %Y} to {months[-1]:%B %Y}" in page.header
    assert "payment months in UTC (the reporting timezone)" in page.header
    charts = {chart["key"]: chart for chart in page.data["charts"]}
    assert list(charts)[:4] == ["revenue", "paid-by-type", "status-mix", "collection"]
    assert [s["name"] for s in charts["revenue"]["series"]] == ["GBP"]
    assert all(len(c["months"]) == 24 for c in charts.values() if c["axis"] == "month")
    # the file is opened read only and left as it was; the report gets the umask's mode
    assert digest(loaded.database) == before
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_three_providers_get_a_line_per_currency_and_a_provider_column(make_harness, monkeypatch):
    harness = make_harness(providers=3)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")
    harness.load()
    target = harness.workdir / "report.html"
    write_report(harness.database, target, months=6, today=TODAY)

    expected = Expected(harness.sandbox.invoices(), {1: 1, 2: 2, 3: 3})
    months = window(expected, 6)
    check_tables(target, expected, months, [1, 2, 3], TODAY)
    page = read_page(target)
    names = [s["name"] for s in page.data["charts"][0]["series"]]
    assert names == ["provider 1 · GBP", "provider 2 · EUR", "provider 3 · USD"]
    assert "providers 1, 2, 3" in page.header


def test_the_current_month_is_marked_to_date_in_every_chart(loaded, tmp_path):
    target = tmp_path / "report.html"
    write_report(loaded.database, target, today=TODAY)
    page = read_page(target)
    current = f"{TODAY:%Y-%m}"
    monthly = [chart for chart in page.data["charts"] if chart["axis"] == "month"]
    assert len(monthly) == 8  # every chart but receivables, whose axis is ages
    for chart in monthly:
        assert chart["months"][-1] == current and chart["toDate"] == len(chart["months"]) - 1
        labels = [row[0] for row in page.tables[f"table-{chart['key']}"][1:]]
        assert f"{current} (to date)" in labels and current not in labels
        assert all(label.endswith("(to date)") == label.startswith(current) for label in labels)
    notes = page.text.count(f"{TODAY:%B %Y} is the current month: its figures are to date")
    assert notes == len(monthly)

    # a today past the window (the report made in December of November's data) marks nothing
    write_report(loaded.database, target, today=date(TODAY.year + 1, 1, 2))
    page = read_page(target)
    assert "is the current month" not in page.text
    assert not any("to date" in row[0] for table in page.tables.values() for row in table)
    assert all(chart["toDate"] is None for chart in page.data["charts"])


def test_the_page_fetches_nothing(loaded, tmp_path):
    target = tmp_path / "report.html"
    write_report(loaded.database, target)
    text = target.read_text(encoding="utf-8")
    assert "://" not in text  # no URL of any scheme, not even a namespace
    assert not re.search(r"\b(src|href|srcset|action)\s*=", text, re.I)
    assert not re.search(r"url\s*\(|@import|<link|<iframe|<object|<embed|<img", text, re.I)
    assert text.count("<script") == 2  # the chart data and the code drawing it, both inline
    assert "default-src 'none'" in text  # and the browser is told to fetch nothing else


def test_names_full_of_markup_stay_text(loaded, tmp_path):
    target = tmp_path / "report.html"
    write_report(hostile_copy(loaded.database, tmp_path), target)
    page = read_page(target)
    assert page.text.count("<script") == 2
    assert "<img" not in page.text and "<b>" not in page.text
    assert "</script><script>alert" not in page.text
    # each name arrives whole: in the tables' headers and in the charts' data
    assert HOSTILE_TYPE in page.tables["table-paid-by-type"][0]
    assert HOSTILE_STATUS in page.tables["table-status-mix"][0]
    series = {c["key"]: [s["name"] for s in c["series"]] for c in page.data["charts"]}
    assert HOSTILE_TYPE in series["paid-by-type"]
    assert HOSTILE_STATUS in series["status-mix"]
    # and the store's counts moved to its new name, figure for figure
    expected = Expected(loaded.invoices, {1: 0})
    months = window(expected, 24)
    stores = {
        row["month"]: row["store"] for row in expected_counts(paid_counts(expected), months, [0])
    }
    got = {row["month"]: row[HOSTILE_TYPE] for row in records(page.tables["table-paid-by-type"])}
    assert got == stores


def test_a_shorter_window_and_one_longer_than_the_history(loaded, tmp_path):
    expected = Expected(loaded.invoices, {1: 0})
    summary = write_report(loaded.database, tmp_path / "short.html", months=3)
    assert (summary.first_month, summary.last_month) == (
        window(expected, 3)[0],
        window(expected, 3)[-1],
    )
    assert len(read_page(tmp_path / "short.html").tables["table-revenue"]) == 1 + 3

    summary = write_report(loaded.database, tmp_path / "long.html", months=240)
    first = min(
        month
        for view in (expected.monthly_revenue(), expected.collection_rate())
        for month, *_ in view
    )
    first = min(first, min(month for month, *_ in expected.monthly_invoices()))
    assert summary.first_month == first  # nothing before the first month with data
    check_tables(tmp_path / "long.html", expected, window(expected, summary.months), [0])

    with pytest.raises(ConfigurationError):
        write_report(loaded.database, tmp_path / "none.html", months=0)
    assert not (tmp_path / "none.html").exists()


@pytest.mark.parametrize("kind", ["missing", "empty", "not duckdb"])
def test_a_warehouse_without_the_views_says_to_load_first(tmp_path, kind):
    database = tmp_path / "warehouse.duckdb"
    if kind == "empty":  # a DuckDB file with nothing loaded yet
        duckdb.connect(str(database)).close()
    elif kind == "not duckdb":
        database.write_text("not a database\n")
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    with pytest.raises(WarehouseError) as raised:
        write_report(database, target)
    message = str(raised.value)
    assert "\n" not in message and str(database) in message
    if kind != "not duckdb":
        assert "run `teamup-etl load` first" in message
    assert list(target.parent.iterdir()) == []


def test_a_failed_write_leaves_the_old_report_and_no_partial_file(loaded, tmp_path, monkeypatch):
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("the previous report\n")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    for step in ("fsync", "replace"):  # mid-write, and at the very last step
        with monkeypatch.context() as patch:
            patch.setattr(report.os, step, fail)
            with pytest.raises(OSError, match="disk full"):
                write_report(loaded.database, target)
        assert target.read_text() == "the previous report\n"
        assert [p.name for p in target.parent.iterdir()] == ["report.html"]

    with monkeypatch.context() as patch:
        patch.setattr(report, "render_page", fail)
        with pytest.raises(OSError):
            write_report(loaded.database, tmp_path / "out" / "other.html")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]

    write_report(loaded.database, target)  # and a good run replaces it whole
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert target.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
