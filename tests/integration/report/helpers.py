"""Reading a report page back (tables as text, chart data, header), the window and the figures'
formatting as the page must show them, computed apart; hostile names."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb

from tests.support import TEST_NOW
from tests.support.expected import Expected

TODAY = TEST_NOW.date()  # the sandbox's today: its latest month is the month to date
DATA_BLOCK = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


@dataclass
class Page:
    text: str
    tables: dict[str, list[list[str]]]  # by id: the header row, then the body rows, as text
    data: dict[str, Any]  # the embedded JSON the charts are drawn from
    header: str  # the page's title and facts, as text


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    reader = _Reader()
    reader.feed(text)
    reader.close()
    found = DATA_BLOCK.search(text)
    assert found, "the page embeds no chart data"
    return Page(text, reader.tables, json.loads(found.group(1)), " ".join(reader.header).strip())


class _Reader(HTMLParser):
    """Tables as rows of cell texts (entities undone), and the header's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.header: list[str] = []
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "header":
            self._in_header = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "header":
            self._in_header = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_header:
            self.header.append(data.strip())


# Names a page must show as text and never run: they reach the report through the raw tables.
HOSTILE_TYPE = '</script><script>alert("type")</script>&amp; <b>store</b>'
HOSTILE_STATUS = "<img src=x onerror=alert('status')>"


def hostile_copy(database: Path, directory: Path) -> Path:
    """A copy of the loaded warehouse whose store purchases and voided invoices carry names
    full of markup, as a TeamUp account could name them."""
    copy = directory / "hostile.duckdb"
    shutil.copyfile(database, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update teamup.invoices set purchase_type = ? where purchase_type = 'store'",
            [HOSTILE_TYPE],
        )
        con.execute(
            "update teamup.invoices_grouped set status = ? where status = 'voided'",
            [HOSTILE_STATUS],
        )
    return copy


# -- the window and the figures as the page must show them, computed apart from the report --


def shift(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def window(expected: Expected, months: int) -> list[date]:
    """`months` months up to the latest with a payment or a refund."""
    last = max(month for month, _, _ in expected.monthly_revenue())
    return [shift(last, n) for n in range(1 - months, 1)]


def cents(value: Decimal) -> str:
    return f"{value:,.2f}"


def records(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def provider(pid: int, several: bool) -> dict[str, str]:
    return {"provider": str(pid)} if several else {}


def dated(rows: list[dict], today: date | None) -> list[dict]:
    """The rows as the page labels them: today's month, if shown, is to date."""
    current = None if today is None else f"{today:%Y-%m}"
    return [
        {**row, "month": f"{current} (to date)"} if row["month"] == current else row for row in rows
    ]
