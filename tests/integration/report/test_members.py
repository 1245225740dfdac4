"""The report's members section against the sandbox's invoices, and without its marts."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from pipelines.report import write_report
from pipelines.report.members import member_charts
from tests.support.expected import Expected

from .helpers import TODAY, cents, dated, provider, read_page, records, shift, window

ZERO = Decimal("0.00")
NOTHING = (0, ZERO, 0, ZERO, 0, ZERO, ZERO, ZERO, 0, ZERO)  # a month without recurring revenue
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churned")
AGES = ("0-30", "31-60", "61-90", "91+")


def signed(value: Decimal) -> str:
    return f"+{value:,.2f}" if value > 0 else f"{value:,.2f}"


def rate(part: int, whole: int) -> str:
    if whole == 0:
        return "—"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def expected_member_tables(mrr: dict, months: list[date], pids: list[int]) -> dict[str, list]:
    """The tables of the MRR, movements (a chart per currency), members and churn charts."""
    several = len(pids) > 1
    lines = sorted({(pid, cur) for month, pid, cur in mrr if month in months})
    movement_key = {
        cur: "table-mrr-movements" + (f"-{n + 1}" if n else "")
        for n, cur in enumerate(sorted({cur for _, cur in lines}))
    }
    tables: dict[str, list] = {"table-mrr": [], "table-members": [], "table-churn": []}
    tables |= {key: [] for key in movement_key.values()}
    for month in months:
        for pid, cur in lines:
            now = mrr.get((month, pid, cur), NOTHING)
            before = mrr.get((shift(month, -1), pid, cur), NOTHING)
            members, amount, new_n, new, back_n, back, up, down, gone_n, gone = now
            first = {"month": f"{month:%Y-%m}", **provider(pid, several), "currency": cur}
            tables["table-mrr"].append(
                {**first, "members": f"{members:,}", "MRR": cents(amount)}
                | {"change": signed(amount - before[1])}
            )
            moved = dict(zip(MOVEMENTS, (new, back, up, down, gone), strict=True))
            tables[movement_key[cur]].append(
                {"month": first["month"], **provider(pid, several)}
                | {name: cents(value) for name, value in moved.items()}
                | {"net change": signed(new + back + up - down - gone)}
            )
            tables["table-members"].append(
                {**first, "members": f"{members:,}", "new": f"{new_n:,}"}
                | {"reactivated": f"{back_n:,}", "churned": f"{gone_n:,}"}
            )
            tables["table-churn"].append(
                {**first, "members the month before": f"{before[0]:,}", "churned": f"{gone_n:,}"}
                | {"churn rate": rate(gone_n, before[0])}
            )
    return tables


def expected_receivables(owed: dict, pids: list[int]) -> list[dict]:
    several = len(pids) > 1
    rows = []
    for pid, cur in sorted({(pid, cur) for pid, cur, _ in owed}):
        figures = [owed.get((pid, cur, age), (0, 0, ZERO)) for age in AGES]
        for age, (n, customers, due) in zip(AGES, figures, strict=True):
            rows.append(
                {**provider(pid, several), "currency": cur, "days past due": age}
                | {"invoices": f"{n:,}", "customers": f"{customers:,}", "amount due": cents(due)}
            )
        rows.append(
            {**provider(pid, several), "currency": cur, "days past due": "all"}
            | {"invoices": f"{sum(f[0] for f in figures):,}", "customers": "—"}
            | {"amount due": cents(sum((f[2] for f in figures), ZERO))}
        )
    return rows


def check_members(page, expected: Expected, months: list[date], pids: list[int]) -> None:
    # the marts follow the clock, not the sandbox's: Expected takes today in the reporting
    # timezone, as the views do
    mrr = expected.monthly_recurring_revenue()
    assert any(month in months for month, *_ in mrr)  # the comparison compares something
    for key, want in expected_member_tables(mrr, months, pids).items():
        assert records(page.tables[key]) == dated(want, TODAY), key
    owed = expected.receivables()
    assert any(n for n, _, _ in owed.values())
    assert records(page.tables["table-receivables"]) == expected_receivables(owed, pids)


def test_the_members_section_holds_the_sandboxs_figures_to_the_cent(loaded, tmp_path):
    target = tmp_path / "report.html"
    summary = write_report(loaded.database, target, today=TODAY)
    expected = Expected(loaded.invoices, {1: 0})
    months = window(expected, 24)
    page = read_page(target)
    check_members(page, expected, months, [0])
    keys = [chart["key"] for chart in page.data["charts"]]
    assert keys[4:] == ["mrr", "mrr-movements", "members", "churn", "receivables"]
    assert summary.charts == 9 and summary.left_out == ()
    # the movements add up to the change in recurring revenue, month by month, on the page
    changes = [row["change"] for row in records(page.tables["table-mrr"])]
    assert [row["net change"] for row in records(page.tables["table-mrr-movements"])] == changes
    receivable = next(c for c in page.data["charts"] if c["key"] == "receivables")
    assert receivable["axis"] == "category" and receivable["toDate"] is None
    assert receivable["months"] == [f"{age} days" for age in AGES]


def test_three_providers_get_a_movements_chart_per_currency(make_harness, monkeypatch):
    harness = make_harness(providers=3)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")
    harness.load()
    target = harness.workdir / "report.html"
    write_report(harness.database, target, months=6, today=TODAY)

    expected = Expected(harness.sandbox.invoices(), {1: 1, 2: 2, 3: 3})
    page = read_page(target)
    check_members(page, expected, window(expected, 6), [1, 2, 3])
    titles = [c["key"] for c in page.data["charts"] if c["key"].startswith("mrr-movements")]
    assert titles == ["mrr-movements", "mrr-movements-2", "mrr-movements-3"]
    assert "Recurring revenue movements, EUR" in page.text


def test_a_warehouse_without_the_members_marts_gets_the_report_without_them(loaded, tmp_path):
    """An analyst's copy from before these marts: the rest of the report, and a notice."""
    older = tmp_path / "older.duckdb"
    shutil.copyfile(loaded.database, older)
    with duckdb.connect(str(older)) as con:
        for view in ("monthly_recurring_revenue", "receivables"):
            con.execute(f"drop view if exists teamup_marts.{view}")
    target = tmp_path / "report.html"
    summary = write_report(older, target, today=TODAY)
    assert summary.charts == 4
    assert summary.left_out == ("monthly_recurring_revenue", "receivables")
    assert summary.line().endswith(
        f"written to {target} (without monthly_recurring_revenue, receivables: "
        "run `teamup-etl load` first)"
    )
    page = read_page(target)
    assert [c["key"] for c in page.data["charts"]] == [
        "revenue",
        "paid-by-type",
        "status-mix",
        "collection",
    ]
    assert (
        "This warehouse has no teamup_marts.monthly_recurring_revenue, "
        "teamup_marts.receivables: it was built by an older teamup-etl." in page.text
    )


def test_providers_sharing_a_currency_add_up_in_its_movements_chart():
    """Two providers billing in GBP: one chart, a row each and a total row per month (no
    sandbox provider shares a currency, so these rows are written out by hand)."""
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    rows = [  # month, provider, currency, then the mart's ten figures
        (may, 1, "GBP", 2, Decimal("80.00"), 2, Decimal("80.00"), 0, ZERO, ZERO, ZERO, 0, ZERO),
        (may, 2, "GBP", 1, Decimal("30.00"), 1, Decimal("30.00"), 0, ZERO, ZERO, ZERO, 0, ZERO),
        (
            june,
            1,
            "GBP",
            1,
            Decimal("45.50"),
            0,
            ZERO,
            0,
            ZERO,
            Decimal("5.50"),
            ZERO,
            1,
            Decimal("40.00"),
        ),
        (june, 2, "GBP", 1, Decimal("25.00"), 0, ZERO, 0, ZERO, ZERO, Decimal("5.00"), 0, ZERO),
    ]
    charts = {chart.key: chart for chart in member_charts([june], rows, [1, 2])}
    movements = charts["mrr-movements"]
    assert movements.title == "Recurring revenue movements, GBP"
    assert movements.table.columns == ["month", "provider", *MOVEMENTS, "net change"]
    assert movements.table.rows == [
        ["2026-06", "1", "0.00", "0.00", "5.50", "0.00", "40.00", "-34.50"],
        ["2026-06", "2", "0.00", "0.00", "0.00", "5.00", "0.00", "-5.00"],
        ["2026-06", "all", "0.00", "0.00", "5.50", "5.00", "40.00", "-39.50"],
    ]
    assert movements.table.strong_rows == frozenset({2})
    assert [s.values for s in movements.series] == [[0.0], [0.0], [5.5], [-5.0], [-40.0]]
    assert charts["churn"].table.rows == [
        ["2026-06", "1", "GBP", "2", "1", "50.0%"],
        ["2026-06", "2", "GBP", "1", "0", "0.0%"],
    ]
    assert charts["mrr"].table.rows[0][-1] == "-34.50"  # 45.50 - 80.00


def test_the_members_section_reads_postgres(make_harness, tmp_path):
    harness = make_harness("postgres", invoices=400)
    harness.load()
    target = tmp_path / "report.html"
    summary = write_report(None, target, months=12, today=TODAY)
    assert summary.left_out == ()
    expected = Expected(harness.sandbox.invoices(), {1: 0})
    check_members(read_page(target), expected, window(expected, 12), [0])
