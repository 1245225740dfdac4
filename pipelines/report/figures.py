"""The report's shared formatting: exact figures from Decimal, month labels, palette, providers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .html import Chart

ZERO = Decimal("0.00")
# Okabe-Ito, then darker tones: the colours stay apart for colour-blind readers.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#7f6d00",
    "#4d4d4d",
    "#8c564b",
    "#17becf",
)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def percent(part: Decimal | int, whole: Decimal | int) -> str:
    """part / whole as a percentage to one decimal, computed in Decimal; a dash for 0 / 0."""
    if whole == 0:
        return "—"
    return f"{(100 * Decimal(part) / Decimal(whole)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def to_date_label(month: date) -> str:
    return f"{month_label(month)} (to date)"


def mark_to_date(chart: Chart, today: date) -> Chart:
    """The chart with today's month, if it shows it, marked as to date: its label in the table,
    its marks drawn apart (a dashed segment, pale bars) and a sentence in the note, so a month
    still under way does not read as a collapse."""
    current = date(today.year, today.month, 1)
    shown = month_label(current)
    if shown not in chart.months:
        return chart
    rows = [
        [to_date_label(current), *row[1:]] if row[:1] == [shown] else row
        for row in chart.table.rows
    ]
    drawn = "its segment dashed" if chart.kind == "line" else "its bars pale"
    note = (
        f"{chart.note} {current:%B %Y} is the current month: its figures are to date "
        f"(to {today.day} {today:%B}), {drawn}."
    )
    return replace(
        chart, note=note, to_date=chart.months.index(shown), table=replace(chart.table, rows=rows)
    )


def line_name(provider: int, currency: str, providers: Sequence[int]) -> str:
    return currency if len(providers) == 1 else f"provider {provider} · {currency}"


def provider_column(providers: Sequence[int]) -> list[str]:
    return ["provider"] if len(providers) > 1 else []


def provider_cell(provider: int, providers: Sequence[int]) -> list[str]:
    return [str(provider)] if len(providers) > 1 else []
