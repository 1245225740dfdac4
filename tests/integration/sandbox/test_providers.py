"""TeamUp-Provider-ID: a token serving several providers, each with its own data and money."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sandbox import DEFAULT_TOKEN, Sandbox

from .helpers import AMSTERDAM, GROUPED, INVOICES, LONDON, Api, loads, money_string, total_of

PARAMS = {"columns": "status,count", "format": "json", "limit": 100}


@pytest.fixture
def two(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox(providers=2)


def test_header_is_required_when_the_token_serves_several(two: Sandbox) -> None:
    response = Api(two).get(GROUPED, PARAMS)
    assert response.status_code == 400
    body = loads(response.text)
    assert set(body) == {"code", "message", "type", "field_errors"}
    assert "TeamUp-Provider-ID" in body["field_errors"]


@pytest.mark.parametrize("provider", [1, 2])
def test_each_provider_has_its_own_data(two: Sandbox, provider: int) -> None:
    api = Api(two, **{"TeamUp-Provider-ID": str(provider)})
    mine = two.invoices(provider)
    others = {inv.id for inv in two.invoices() if inv.provider_id != provider}
    assert mine and others
    body = api.data(GROUPED, PARAMS)
    assert {r["status"]: int(r["count"]) for r in body["rows"]} == Counter(i.status for i in mine)
    rows = api.all_rows(INVOICES, {"columns": "customer.id", "sort": "id"})
    assert [row["id"] for row in rows] == sorted(inv.id for inv in mine)
    assert not others & {row["id"] for row in rows}
    assert {row["customer"]["id"] // 100_000 for row in rows} == {provider}


@pytest.mark.parametrize(
    ("provider", "code", "symbol", "position", "zone"),
    [(1, "gbp", "£", "before", LONDON), (2, "eur", "€", "after", AMSTERDAM)],
)
def test_each_provider_has_its_own_currency_and_zone(
    two: Sandbox, provider: int, code: str, symbol: str, position: str, zone
) -> None:
    api = Api(two, **{"TeamUp-Provider-ID": str(provider)})
    rows = api.all_rows(INVOICES, {"columns": "total_amount,paid_at", "sort": "id"})
    snapshot = {inv.id: inv for inv in two.invoices(provider)}
    total = Decimal(0)
    for row in rows:
        inv, money = snapshot[row["id"]], row["total_amount"]
        assert money["iso_currency_code"] == code
        assert money["currency_symbol"] == symbol
        assert money["currency_symbol_position"] == position
        assert money["string"] == money_string(total_of(inv), symbol, position == "before")
        total += Decimal(money["decimal"])
        if inv.paid_at:
            paid_at = datetime.fromisoformat(row["paid_at"])
            assert paid_at == inv.paid_at
            assert paid_at.utcoffset() == inv.paid_at.astimezone(zone).utcoffset()
    assert total == sum((total_of(inv) for inv in snapshot.values()), Decimal(0))


def test_euro_amounts_are_written_after_the_number(two: Sandbox) -> None:
    api = Api(two, **{"TeamUp-Provider-ID": "2"})
    body = api.data(INVOICES, {"columns": "total_amount", "limit": 100})
    strings = [row["total_amount"]["string"] for row in body["rows"]]
    assert all(s.endswith(" €") for s in strings)
    assert "89.00 €" in strings


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("3", id="not-served"),
        pytest.param("999", id="unknown"),
        pytest.param("0", id="zero"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("", id="blank"),
    ],
)
def test_provider_not_served_is_a_403(two: Sandbox, value: str) -> None:
    response = Api(two, **{"TeamUp-Provider-ID": value}).get(GROUPED, PARAMS)
    assert response.status_code == 403
    body = loads(response.text)
    assert set(body) == {"code", "message", "type", "field_errors"}
    assert body["code"] == "permission_denied"


def test_a_token_serving_one_provider_needs_no_header(make_sandbox) -> None:
    sandbox = make_sandbox(tokens={"t1": [1]})
    api = Api(sandbox, token="t1")
    assert sandbox.token == "t1"
    body = api.data(GROUPED, PARAMS)
    assert sum(int(r["count"]) for r in body["rows"]) == len(sandbox.invoices())
    assert api.data(GROUPED, PARAMS, **{"TeamUp-Provider-ID": "1"}) == body
    assert (
        Api(sandbox, token="t1", **{"TeamUp-Provider-ID": "2"}).get(GROUPED, PARAMS).status_code
        == 403
    )
    # given tokens replace the default one
    assert Api(sandbox, token=DEFAULT_TOKEN).get(GROUPED, PARAMS).status_code == 401


def test_tokens_serve_only_their_providers(make_sandbox) -> None:
    sandbox = make_sandbox(providers=2, tokens={"one": [1], "two": [2], "both": [1, 2]})
    assert Api(sandbox, token="one").data(GROUPED, PARAMS)["total"] > 0
    assert Api(sandbox, token="two").data(GROUPED, PARAMS)["total"] > 0
    assert Api(sandbox, token="both").get(GROUPED, PARAMS).status_code == 400
    denied = Api(sandbox, token="one", **{"TeamUp-Provider-ID": "2"}).get(GROUPED, PARAMS)
    assert denied.status_code == 403
    served = Api(sandbox, token="two", **{"TeamUp-Provider-ID": "2"})
    customers = served.all_rows(GROUPED, {"columns": "customer_id"})
    assert {row["customer"]["id"] // 100_000 for row in customers} == {2}


def test_payment_month_is_local_to_each_provider(two: Sandbox) -> None:
    """The same instant, 23:30 UTC on New Year's Eve, is January in Amsterdam."""
    invoice = next(i for i in two.invoices(2) if i.status == "open")
    two.clock.set(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    two.pay(invoice.id, processor_id=4)
    api = Api(two, **{"TeamUp-Provider-ID": "2"})
    moment = "2025-12-31T23:30:00Z"
    params = {"columns": "payment_year,payment_month,count"}
    rows = api.all_rows(GROUPED, {**params, "paid_at_gte": moment, "paid_at_lte": moment})
    assert rows == [{"payment_year": 2026, "payment_month": 1, "count": "1"}]
    found = api.all_rows(INVOICES, {"paid_at_timeframe": "this_year", "columns": "id"})
    assert invoice.id in {row["id"] for row in found}
