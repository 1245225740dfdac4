"""Reading a report page back: its tables as text, its chart data, its header; hostile names."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb

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
