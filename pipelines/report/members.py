"""The report's members section: recurring revenue, its movements, members, churn, receivables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple

from .figures import (
    PALETTE,
    ZERO,
    line_name,
    money,
    month_label,
    percent,
    provider_cell,
    provider_column,
)
from .html import Chart, Series, Table

# month, provider_id, currency, then the columns of Figures, as monthly_recurring_revenue has them
MrrRow = tuple
# provider_id, currency, age_bucket, invoices, customers, amount_due, as receivables has them
ReceivableRow = tuple[int, str, str, int, int, Decimal]
AGES = ("0-30", "31-60", "61-90", "91+")


class Figures(NamedTuple):
    """One month of monthly_recurring_revenue for one provider and currency."""

    members: int
    mrr: Decimal
    new_members: int
    new_mrr: Decimal
    reactivated_members: int
    reactivation_mrr: Decimal
    expansion_mrr: Decimal
    contraction_mrr: Decimal
    churned_members: int
    churned_mrr: Decimal


NONE_YET = Figures(0, ZERO, 0, ZERO, 0, ZERO, ZERO, ZERO, 0, ZERO)  # no row: nothing billed
# Each movement: its name, its column, +1 if it adds recurring revenue, -1 if it takes it away.
MOVEMENTS = (
    ("new", "new_mrr", 1, "#009e73"),
    ("reactivation", "reactivation_mrr", 1, "#56b4e9"),
    ("expansion", "expansion_mrr", 1, "#0072b2"),
    ("contraction", "contraction_mrr", -1, "#e69f00"),
    ("churned", "churned_mrr", -1, "#d55e00"),
)
Grid = dict[tuple[date, int, str], Figures]
Key = tuple[int, str]  # provider, currency


def member_charts(
    months: Sequence[date], rows: Iterable[MrrRow], providers: Sequence[int]
) -> list[Chart]:
    """The recurring revenue, its movements (a chart per currency), members and the churn rate.

    rows: those of monthly_recurring_revenue from the month before the first shown, whose
    members the first month's churn rate is taken over."""
    grid: Grid = {(row[0], row[1], row[2]): Figures(*row[3:]) for row in rows}
    keys = sorted({(p, c) for m, p, c in grid if m in months})
    currencies = sorted({currency for _, currency in keys})
    return [
        mrr_chart(months, grid, keys, providers),
        *(
            movements_chart(
                months, grid, currency, [p for p, c in keys if c == currency], providers, n
            )
            for n, currency in enumerate(currencies)
        ),
        members_chart(months, grid, keys, providers),
        churn_chart(months, grid, keys, providers),
    ]


def mrr_chart(
    months: Sequence[date], grid: Grid, keys: list[Key], providers: Sequence[int]
) -> Chart:
    def point(m: date, p: int, c: str) -> tuple[float, str]:
        mrr = _at(grid, m, p, c).mrr
        return float(mrr), f"{money(mrr)} {c}"

    def cells(m: date, p: int, c: str) -> list[str]:
        now, before = _at(grid, m, p, c), _at(grid, _previous(m), p, c)
        return [f"{now.members:,}", money(now.mrr), signed(now.mrr - before.mrr)]

    note = (
        "Recurring revenue billed: each month, the totals of the membership invoices due in it "
        "(credit notes, voided and skipped invoices left out), one line per currency. It is "
        "billed, by due month: a weekly plan shows four or five invoices' worth, an annual plan "
        "all in its month."
    )
    heading = ("mrr", "Monthly recurring revenue", note)
    return _lines(
        heading, "money", months, keys, providers, point, ["members", "MRR", "change"], cells
    )


def movements_chart(
    months: Sequence[date],
    grid: Grid,
    currency: str,
    owners: list[int],
    providers: Sequence[int],
    index: int,
) -> Chart:
    """Gains stacked up, losses down, over the providers billing in this currency (owners)."""

    def total(m: date, column: str, among: Sequence[int]) -> Decimal:
        return sum((getattr(_at(grid, m, p, currency), column) for p in among), ZERO)

    series = []
    for name, column, sign, color in MOVEMENTS:
        amounts = [sign * total(m, column, owners) for m in months]
        series.append(
            Series(
                name,
                color,
                [float(a) for a in amounts],
                [f"{money(a)} {currency}" for a in amounts],
            )
        )
    rows: list[list[str]] = []
    strong: set[int] = set()
    groups = [(provider_cell(p, providers), [p]) for p in owners]
    if len(owners) > 1:
        groups.append((["all"], owners))
    for m in months:
        for n, (cell, among) in enumerate(groups):
            figures = [total(m, column, among) for _, column, _, _ in MOVEMENTS]
            net = sum(
                (sign * f for (_, _, sign, _), f in zip(MOVEMENTS, figures, strict=True)), ZERO
            )
            if n == len(owners):
                strong.add(len(rows))
            rows.append([month_label(m), *cell, *(money(f) for f in figures), signed(net)])
    first = ["month", *provider_column(providers)]
    note = (
        f"How recurring revenue in {currency} changed from the calendar month before, member by "
        "member: new (billed for the first time), reactivation (billed again after a month or "
        "more without), expansion and contraction (billed in both months: more, or less), "
        "churned (billed the month before, not this month: that month's amount). Together "
        "they are the month's change."
    )
    return Chart(
        "mrr-movements" if index == 0 else f"mrr-movements-{index + 1}",
        f"Recurring revenue movements, {currency}",
        note,
        "stack",
        "money",
        [month_label(m) for m in months],
        series,
        Table(
            [*first, *(name for name, *_ in MOVEMENTS), "net change"],
            rows,
            len(first),
            frozenset(strong),
        ),
    )


def members_chart(
    months: Sequence[date], grid: Grid, keys: list[Key], providers: Sequence[int]
) -> Chart:
    def point(m: date, p: int, c: str) -> tuple[float, str]:
        members = _at(grid, m, p, c).members
        return float(members), f"{members:,}"

    def cells(m: date, p: int, c: str) -> list[str]:
        f = _at(grid, m, p, c)
        return [
            f"{n:,}" for n in (f.members, f.new_members, f.reactivated_members, f.churned_members)
        ]

    note = (
        "Members: customers billed recurring revenue in the month. New: billed for the first "
        "time; reactivated: billed again after a month or more without; churned: billed the "
        "month before, not this month."
    )
    columns = ["members", "new", "reactivated", "churned"]
    return _lines(
        ("members", "Members", note), "count", months, keys, providers, point, columns, cells
    )


def churn_chart(
    months: Sequence[date], grid: Grid, keys: list[Key], providers: Sequence[int]
) -> Chart:
    def point(m: date, p: int, c: str) -> tuple[float | None, str]:
        churned, before = _at(grid, m, p, c).churned_members, _at(grid, _previous(m), p, c).members
        return (None if before == 0 else 100 * churned / before), percent(churned, before)

    def cells(m: date, p: int, c: str) -> list[str]:
        churned, before = _at(grid, m, p, c).churned_members, _at(grid, _previous(m), p, c).members
        return [f"{before:,}", f"{churned:,}", percent(churned, before)]

    note = (
        "Churn rate: the members who churned in a month (billed the month before, not this "
        "month) ÷ the members of the month before; a dash where there were none."
    )
    columns = ["members the month before", "churned", "churn rate"]
    return _lines(
        ("churn", "Churn rate", note), "percent", months, keys, providers, point, columns, cells
    )


def receivables_chart(rows: Iterable[ReceivableRow], providers: Sequence[int]) -> Chart:
    """What customers owe today by how long overdue: bars side by side, one per currency."""
    found = {(p, c, age): (n, customers, due) for p, c, age, n, customers, due in rows}
    keys = sorted({(p, c) for p, c, _ in found})
    ages = [*AGES, *sorted({age for *_, age in found} - set(AGES))]  # shown, never dropped
    nothing = (0, 0, ZERO)
    series, table = [], []
    strong: set[int] = set()
    for index, (p, c) in enumerate(keys):
        figures = [found.get((p, c, age), nothing) for age in ages]
        series.append(
            Series(
                line_name(p, c, providers),
                PALETTE[index % len(PALETTE)],
                [float(due) for *_, due in figures],
                [f"{money(due)} {c}" for *_, due in figures],
            )
        )
        for age, (n, customers, due) in zip(ages, figures, strict=True):
            table.append(
                [*provider_cell(p, providers), c, age, f"{n:,}", f"{customers:,}", money(due)]
            )
        strong.add(len(table))
        invoices, owed = sum(f[0] for f in figures), sum((f[2] for f in figures), ZERO)
        table.append([*provider_cell(p, providers), c, "all", f"{invoices:,}", "—", money(owed)])
    first = [*provider_column(providers), "currency", "days past due"]
    note = (
        "What customers owe today: invoices open, failed, retrying or pending and due by today "
        "(credit notes left out), by whole days past their due date, one bar per currency. A "
        "customer owing in several ages counts in each, so customers are not added up."
    )
    return Chart(
        "receivables",
        "Receivables by age",
        note,
        "group",
        "money",
        [f"{age} days" for age in ages],
        series,
        Table(
            [*first, "invoices", "customers", "amount due"], table, len(first), frozenset(strong)
        ),
        axis="category",
    )


# -- helpers -------------------------------------------------------------------------------


def signed(value: Decimal) -> str:
    return f"+{money(value)}" if value > 0 else money(value)


def _lines(
    heading: tuple[str, str, str],  # key, title, note
    unit: Literal["money", "count", "percent"],
    months: Sequence[date],
    keys: list[Key],
    providers: Sequence[int],
    point: Callable[[date, int, str], tuple[float | None, str]],
    columns: list[str],
    cells: Callable[[date, int, str], list[str]],
) -> Chart:
    """A line per provider and currency; the table a row per month for each."""
    series = []
    for index, (p, c) in enumerate(keys):
        points = [point(m, p, c) for m in months]
        series.append(
            Series(
                line_name(p, c, providers),
                PALETTE[index % len(PALETTE)],
                [value for value, _ in points],
                [label for _, label in points],
            )
        )
    rows = [
        [month_label(m), *provider_cell(p, providers), c, *cells(m, p, c)]
        for m in months
        for p, c in keys
    ]
    first = ["month", *provider_column(providers), "currency"]
    key, title, note = heading
    labels = [month_label(m) for m in months]
    return Chart(
        key, title, note, "line", unit, labels, series, Table([*first, *columns], rows, len(first))
    )


def _at(grid: Grid, month: date, provider: int, currency: str) -> Figures:
    return grid.get((month, provider, currency), NONE_YET)


def _previous(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)
