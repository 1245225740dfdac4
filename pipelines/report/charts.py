"""The report's four charts, each with the table of its exact figures, from the marts' rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

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

# Statuses from settled to not owed, each in a colour that says how it stands.
STATUS_COLORS = {
    "paid": "#2e7d32",
    "pending_online": "#7cb342",
    "pending_offline": "#c0ca33",
    "open": "#1e88e5",
    "upcoming": "#90caf9",
    "retrying": "#ffb300",
    "failed": "#e53935",
    "retry_failed": "#8e1c1c",
    "skipped": "#bdbdbd",
    "voided": "#757575",
}
NONE = "(none)"

RevenueRow = tuple[date, int, str, int, Decimal, Decimal, Decimal]
CountRow = tuple[date, int, str | None, int]
CollectionRow = tuple[date, int, str, int, int, Decimal, Decimal, Decimal, float | None]


def build_charts(
    months: Sequence[date],
    revenue: Iterable[RevenueRow],
    paid_by_type: Iterable[CountRow],
    statuses: Iterable[CountRow],
    collection: Iterable[CollectionRow],
    providers: Sequence[int],
) -> list[Chart]:
    return [
        revenue_chart(months, revenue, providers),
        paid_by_type_chart(months, paid_by_type, providers),
        status_chart(months, statuses, providers),
        collection_chart(months, collection, providers),
    ]


def revenue_chart(
    months: Sequence[date], rows: Iterable[RevenueRow], providers: Sequence[int]
) -> Chart:
    found = {(m, p, c): (n, gross, refunds, net) for m, p, c, n, gross, refunds, net in rows}
    nothing = (0, ZERO, ZERO, ZERO)  # no payment and no refund that month
    keys = sorted({(p, c) for _, p, c in found})
    series = []
    for index, (provider, currency) in enumerate(keys):
        nets = [found.get((m, provider, currency), nothing)[3] for m in months]
        series.append(
            Series(
                line_name(provider, currency, providers),
                PALETTE[index % len(PALETTE)],
                [float(net) for net in nets],
                [f"{money(net)} {currency}" for net in nets],
            )
        )
    rows_out = [
        [
            month_label(m),
            *provider_cell(provider, providers),
            currency,
            *_figures(found.get((m, provider, currency), nothing)),
        ]
        for m in months
        for provider, currency in keys
    ]
    columns = ["month", *provider_column(providers), "currency"]
    return Chart(
        key="revenue",
        title="Net revenue by month",
        note=(
            "Payments (paid invoices, in the month they were paid) minus refunds (in the month "
            "of the refund), one line per currency: amounts are never converted."
        ),
        kind="line",
        unit="money",
        months=[month_label(m) for m in months],
        series=series,
        table=Table(
            [*columns, "paid invoices", "gross revenue", "refunds", "net revenue"],
            rows_out,
            len(columns),
        ),
    )


def paid_by_type_chart(
    months: Sequence[date], rows: Iterable[CountRow], providers: Sequence[int]
) -> Chart:
    counts = _counts(rows)
    totals = _category_totals(counts)
    types = sorted(totals, key=lambda name: (-totals[name], name))
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(types)}
    note = (
        "Invoices paid in each month (by the date of payment), by what was bought; "
        "credit notes are not counted."
    )
    return _stacked(
        ("paid-by-type", "Paid invoices by purchase type", note),
        months,
        counts,
        types,
        colors.__getitem__,
        providers,
    )


def status_chart(
    months: Sequence[date], rows: Iterable[CountRow], providers: Sequence[int]
) -> Chart:
    counts = _counts(rows)
    known = list(STATUS_COLORS)
    found = _category_totals(counts)
    others = sorted(name for name in found if name not in STATUS_COLORS)
    statuses = [name for name in known if name in found] + others

    def color(name: str) -> str:
        return STATUS_COLORS.get(name) or PALETTE[others.index(name) % len(PALETTE)]

    note = (
        "Every invoice by the month it is due and its status today, as TeamUp's grouped "
        "report counts them (credit notes included). The latest months still hold open and "
        "upcoming invoices."
    )
    return _stacked(
        ("status-mix", "Invoices by status, per due month", note),
        months,
        counts,
        statuses,
        color,
        providers,
    )


def collection_chart(
    months: Sequence[date], rows: Iterable[CollectionRow], providers: Sequence[int]
) -> Chart:
    found = {(row[0], row[1], row[2]): row[3:] for row in rows}
    nothing = (0, 0, ZERO, ZERO, ZERO, None)  # nothing billed that month
    keys = sorted({(p, c) for _, p, c in found})
    series = []
    for index, (provider, currency) in enumerate(keys):
        figures = [found.get((m, provider, currency), nothing) for m in months]
        series.append(
            Series(
                line_name(provider, currency, providers),
                PALETTE[index % len(PALETTE)],
                [None if f[5] is None else 100 * f[5] for f in figures],
                [percent(f[3], f[2]) for f in figures],
            )
        )
    rows_out = [
        _collection_row(
            m, provider, currency, found.get((m, provider, currency), nothing), providers
        )
        for m in months
        for provider, currency in keys
    ]
    columns = ["month", *provider_column(providers), "currency"]
    return Chart(
        key="collection",
        title="Collection rate by due month",
        note=(
            "The share of the money billed in each due month that is paid: paid ÷ billed, "
            "where billed leaves out credit notes and voided, skipped and upcoming invoices. "
            "The latest months read low until their invoices fall due."
        ),
        kind="line",
        unit="percent",
        months=[month_label(m) for m in months],
        series=series,
        table=Table(
            [
                *columns,
                "billed invoices",
                "paid invoices",
                "billed",
                "paid",
                "unpaid",
                "collected",
            ],
            rows_out,
            len(columns),
        ),
    )


def _collection_row(
    month: date, provider: int, currency: str, figures: tuple, providers: Sequence[int]
) -> list[str]:
    billed_n, paid_n, billed, paid, unpaid, _ = figures
    return [
        month_label(month),
        *provider_cell(provider, providers),
        currency,
        f"{billed_n:,}",
        f"{paid_n:,}",
        money(billed),
        money(paid),
        money(unpaid),
        percent(paid, billed),
    ]


# -- helpers -------------------------------------------------------------------------------

Counts = dict[tuple[date, int, str], int]


def _stacked(
    heading: tuple[str, str, str],  # key, title, note
    months: Sequence[date],
    counts: Counts,
    categories: list[str],
    color: Callable[[str], str],
    providers: Sequence[int],
) -> Chart:
    """A bar per month stacking the categories over every provider; the table per provider,
    with a total row per month when there are several."""
    series = []
    for name in categories:
        values = [sum(counts.get((m, p, name), 0) for p in providers) for m in months]
        series.append(
            Series(name, color(name), [float(v) for v in values], [f"{v:,}" for v in values])
        )
    rows: list[list[str]] = []
    strong: set[int] = set()
    for m in months:
        for provider in providers:
            values = [counts.get((m, provider, name), 0) for name in categories]
            rows.append([month_label(m), *provider_cell(provider, providers), *_ints(values)])
        if len(providers) > 1:
            values = [sum(counts.get((m, p, name), 0) for p in providers) for name in categories]
            strong.add(len(rows))
            rows.append([month_label(m), "all", *_ints(values)])
    columns = ["month", *provider_column(providers)]
    key, title, note = heading
    return Chart(
        key,
        title,
        note,
        "stack",
        "count",
        [month_label(m) for m in months],
        series,
        Table([*columns, *categories, "total"], rows, len(columns), frozenset(strong)),
    )


def _counts(rows: Iterable[CountRow]) -> Counts:
    counts: Counts = {}
    for month, provider, category, n in rows:
        key = (month, provider, NONE if category is None else category)
        counts[key] = counts.get(key, 0) + n
    return counts


def _category_totals(counts: Counts) -> dict[str, int]:
    """Each category's count over the window; those that never occur get no layer."""
    totals: dict[str, int] = {}
    for (_, _, name), n in counts.items():
        totals[name] = totals.get(name, 0) + n
    return {name: n for name, n in totals.items() if n}


def _ints(values: list[int]) -> list[str]:
    return [f"{v:,}" for v in [*values, sum(values)]]


def _figures(values: tuple[int, Decimal, Decimal, Decimal]) -> list[str]:
    paid, gross, refunds, net = values
    return [f"{paid:,}", money(gross), money(refunds), money(net)]
