"""The report page: escaped tables and legends in HTML, charts drawn in SVG by an inline script."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Literal

from .assets import SCRIPT, STYLE


@dataclass(frozen=True)
class Series:
    """One line, or one layer of stacked bars: a value per month of the chart."""

    name: str
    color: str  # a #rrggbb of our own palettes, never data
    values: list[float | None]  # pixel coordinates only; None leaves a gap
    labels: list[str]  # the exact figures, for the marks' tooltips


@dataclass(frozen=True)
class Table:
    """The exact figures a chart plots, already formatted (money from DECIMAL, never a float)."""

    columns: list[str]
    rows: list[list[str]]
    numeric_from: int  # columns from this index on are figures, aligned right
    strong_rows: frozenset[int] = field(default_factory=frozenset)  # totals over providers


@dataclass(frozen=True)
class Chart:
    key: str  # the container's id is chart-<key>; each mark drawn has data-mark="<key>"
    title: str
    note: str
    kind: Literal["line", "stack", "group"]  # group: bars side by side, one per series
    unit: Literal["money", "count", "percent"]
    months: list[str]  # the x axis: YYYY-MM, or the categories' labels when axis is "category"
    series: list[Series]
    table: Table
    to_date: int | None = None  # the index in months of the current month, drawn as to date
    axis: Literal["month", "category"] = "month"


@dataclass(frozen=True)
class Part:
    """A part of the page under its own heading: its charts, or a notice saying why none."""

    heading: str
    charts: list[Chart]
    notice: str = ""


def render_page(title: str, facts: Sequence[str], parts: Sequence[Part], footer: str) -> str:
    """The whole document: nothing in it is fetched, and only its own script and style run."""
    sections = "\n".join(_part(part) for part in parts)
    charts = [chart for part in parts for chart in part.charts]
    # The policy forbids every fetch, and scripts or styles other than these exact two: a
    # name that slipped through escaping still could not run or load anything.
    policy = (
        f"default-src 'none'; script-src '{_digest(SCRIPT)}'; style-src '{_digest(STYLE)}'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(policy, quote=False)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<header>
<h1>{escape(title)}</h1>
<p class="facts">{" · ".join(escape(fact) for fact in facts)}</p>
<noscript><p class="note">The charts are drawn by this page's own script, which is off;
every figure is in the tables.</p></noscript>
</header>
{sections}
<footer>{escape(footer)}</footer>
</main>
<script type="application/json" id="report-data">{_script_json(charts)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _part(part: Part) -> str:
    notice = f'\n<p class="notice">{escape(part.notice)}</p>' if part.notice else ""
    charts = "".join(f"\n{_section(chart)}" for chart in part.charts)
    return f'<h2 class="part">{escape(part.heading)}</h2>{notice}{charts}'


def _section(chart: Chart) -> str:
    legend = "".join(
        f'<li><svg class="swatch" width="12" height="12" aria-hidden="true">'
        f'<rect width="12" height="12" rx="2" fill="{escape(s.color)}"/></svg>'
        f"{escape(s.name)}</li>"
        for s in chart.series
    )
    return f"""<section id="section-{chart.key}">
<h2>{escape(chart.title)}</h2>
<p class="note">{escape(chart.note)}</p>
<ul class="legend">{legend}</ul>
<div class="chart" id="chart-{chart.key}" data-kind="{chart.kind}">\
<svg viewBox="0 0 960 300" role="img" aria-label="{escape(chart.title)}"></svg></div>
{_table(chart.key, chart.title, chart.table)}
</section>"""


def _table(key: str, title: str, table: Table) -> str:
    def cell(tag: str, index: int, text: str) -> str:
        kind = ' class="num"' if index >= table.numeric_from else ""
        return f"<{tag}{kind}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, name) for i, name in enumerate(table.columns))
    strong = ' class="total"'
    body = "\n".join(
        f"<tr{strong if n in table.strong_rows else ''}>"
        + "".join(cell("td", i, text) for i, text in enumerate(row))
        + "</tr>"
        for n, row in enumerate(table.rows)
    )
    return (
        f'<div class="table-wrap"><table class="figures" id="table-{key}">'
        f"<caption>{escape(title)}: the figures</caption>"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )


def _script_json(charts: Sequence[Chart]) -> str:
    """The charts' data as JSON that cannot end its <script> element early."""
    payload = {
        "charts": [
            {
                "key": c.key,
                "kind": c.kind,
                "unit": c.unit,
                "months": c.months,
                "toDate": c.to_date,
                "axis": c.axis,
                "series": [
                    {
                        "name": s.name,
                        "color": s.color,
                        "values": [_finite(v) for v in s.values],
                        "labels": s.labels,
                    }
                    for s in c.series
                ],
            }
            for c in charts
        ]
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # "<" and ">" only ever occur inside JSON strings, where \u escapes mean the same text.
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _digest(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
