"""The report's shared formatting: exact figures from Decimal, month labels, palette, providers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


def line_name(provider: int, currency: str, providers: Sequence[int]) -> str:
    return currency if len(providers) == 1 else f"provider {provider} · {currency}"


def provider_column(providers: Sequence[int]) -> list[str]:
    return ["provider"] if len(providers) > 1 else []


def provider_cell(provider: int, providers: Sequence[int]) -> list[str]:
    return [str(provider)] if len(providers) > 1 else []
