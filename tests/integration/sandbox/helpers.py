"""A thin HTTP client for the sandbox tests, plus the expectations the tests share."""

# Nothing here reuses sandbox code: the constants below are written from the API docs and the
# issue, so that a test computing an expectation from `sandbox.invoices()` stays independent.

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import requests

from sandbox import Sandbox
from sandbox.model import Invoice

GROUPED = "/reports/invoices.grouped/data"
INVOICES = "/reports/invoices/data"

# TeamUp's payment processor ids, as the issue lists them.
PROCESSORS = {1: "Stripe", 2: "GoCardless", 3: "Cash", 4: "Bank transfer"}
# The test studios' zones (provider 1 is in London, provider 2 in Amsterdam).
LONDON = ZoneInfo("Europe/London")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Params = Mapping[str, Any] | list[tuple[str, Any]]


def loads(text: str) -> Any:
    """JSON with exact decimals: a money amount never passes through a float."""
    return json.loads(text, parse_float=Decimal)


class Api:
    """requests against one sandbox, authenticated with its token unless told otherwise."""

    def __init__(self, sandbox: Sandbox, token: str | None = None, **headers: str) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        # The sandbox is on loopback: no proxies or .netrc from the environment (and no time
        # spent looking them up on every request).
        self.session.trust_env = False
        self.headers = {"Authorization": f"Token {token or sandbox.token}", **headers}

    def url(self, path: str) -> str:
        return self.sandbox.base_url + path

    def get(
        self, path: str, params: Params | None = None, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        return self.session.get(
            self.url(path),
            params=params,
            headers=self.headers if headers is None else headers,
            timeout=30,
        )

    def data(self, path: str, params: Params | None = None, **headers: str) -> dict[str, Any]:
        """A JSON page, asserting a 200."""
        params = _with_json(params)
        response = self.get(path, params, {**self.headers, **headers})
        assert response.status_code == 200, response.text[:1000]
        assert response.headers["Content-Type"].startswith("application/json")
        return loads(response.text)

    def error(self, path: str, params: Params | None = None, status: int = 400) -> dict[str, Any]:
        response = self.get(path, _with_json(params))
        assert response.status_code == status, response.text[:1000]
        return loads(response.text)

    def all_rows(
        self, path: str, params: Params | None = None, page_size: int = 100
    ) -> list[dict[str, Any]]:
        """Every row of a report, walking page/page_size until `total` rows are in."""
        rows: list[dict[str, Any]] = []
        for page in self.pages(path, params, page_size):
            rows.extend(page["rows"])
        return rows

    def pages(
        self, path: str, params: Params | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        base = _pairs(params)
        number, seen = 1, 0
        while True:
            body = self.data(path, [*base, ("page", number), ("page_size", page_size)])
            yield body
            seen += len(body["rows"])
            if not body["rows"] or seen >= body["total"]:
                assert seen == body["total"]
                return
            number += 1


def _pairs(params: Params | None) -> list[tuple[str, Any]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        pairs: list[tuple[str, Any]] = []
        for name, value in params.items():
            values = value if isinstance(value, list | tuple) else [value]
            pairs.extend((name, v) for v in values)
        return pairs
    return list(params)


def _with_json(params: Params | None) -> list[tuple[str, Any]]:
    pairs = _pairs(params)
    if not any(name == "format" for name, _ in pairs):
        pairs.append(("format", "json"))
    return pairs


_SNAPSHOTS: weakref.WeakKeyDictionary[Sandbox, tuple[int, list[Invoice]]] = (
    weakref.WeakKeyDictionary()
)


def snapshot(sandbox: Sandbox) -> list[Invoice]:
    """`sandbox.invoices()`, taken again only after the data changed (copying 1500 invoices
    for every expectation would slow the suite down). Read it, never change it."""
    version = sandbox.store.version
    taken = _SNAPSHOTS.get(sandbox)
    if taken is None or taken[0] != version:
        taken = _SNAPSHOTS[sandbox] = (version, sandbox.invoices())
    return taken[1]


def z(moment: datetime) -> str:
    """An instant as the API's query strings take it: ISO 8601 with Z."""
    return moment.isoformat().replace("+00:00", "Z")


def local_date(moment: datetime, zone: ZoneInfo = LONDON) -> date:
    return moment.astimezone(zone).date()


def money_string(amount: Decimal, symbol: str = "£", before: bool = True) -> str:
    sign = "-" if amount < 0 else ""
    number = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{number}" if before else f"{sign}{number} {symbol}"


def total_of(invoice: Invoice) -> Decimal:
    """An invoice's total from its parts, as the docs define it (taxes and discounts included)."""
    return invoice.subtotal - invoice.discount + invoice.tax - invoice.credit + invoice.adjustment
