"""Authentication, the error envelope, and how the server behaves on the wire."""

from __future__ import annotations

import socket

import pytest
import requests

from sandbox import Sandbox

from .helpers import GROUPED, INVOICES, Api, loads

ENVELOPE = {"code", "message", "type", "field_errors"}
PARAMS = {"columns": "status", "format": "json"}  # valid for both reports


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_token_and_bearer_both_work(reader: Sandbox, scheme: str, path: str) -> None:
    response = requests.get(
        reader.base_url + path,
        params=PARAMS,
        headers={"Authorization": f"{scheme} {reader.token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert loads(response.text)["total"] > 0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": ""}, id="empty"),
        pytest.param({"Authorization": "Token"}, id="scheme-without-token"),
        pytest.param({"Authorization": "Token wrong-token"}, id="wrong-token"),
        pytest.param({"Authorization": "Bearer wrong-token"}, id="wrong-bearer"),
        pytest.param({"Authorization": "Basic {token}"}, id="basic-scheme"),
        pytest.param({"Authorization": "token {token}"}, id="lower-case-scheme"),
        pytest.param({"Authorization": "{token}"}, id="token-without-scheme"),
        pytest.param({"Authorization": "Token {token}x"}, id="token-with-suffix"),
    ],
)
@pytest.mark.parametrize("path", [GROUPED, INVOICES], ids=["grouped", "invoices"])
def test_missing_or_wrong_token_is_a_401(reader: Sandbox, headers: dict, path: str) -> None:
    headers = {name: value.format(token=reader.token) for name, value in headers.items()}
    response = requests.get(reader.base_url + path, params=PARAMS, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    body = loads(response.text)
    assert set(body) == ENVELOPE
    assert body["code"] == "authentication_failed"
    assert body["field_errors"] == {}
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["type"], str) and body["type"]


def test_authentication_comes_before_validation(reader: Sandbox) -> None:
    response = requests.get(reader.base_url + GROUPED, params={"nope": "1"}, timeout=10)
    assert response.status_code == 401


def test_bad_parameter_is_a_400_with_field_errors(api: Api) -> None:
    response = api.get(GROUPED, {"columns": "status", "status": "nope"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    body = loads(response.text)
    assert set(body) == ENVELOPE
    assert body["code"] == "invalid"
    assert body["type"] == "validation_error"
    [(field, messages)] = body["field_errors"].items()
    assert field == "status"
    assert messages and all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize(
    "path",
    [
        "/reports/invoices.grouped",
        "/reports/invoices/data/",
        "/reports/invoice_line_items.grouped/data",
        "/customers",
    ],
)
def test_unknown_path_is_a_404(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert set(loads(response.text)) == ENVELOPE


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_a_405_and_keep_the_connection_usable(api: Api, method: str) -> None:
    with requests.Session() as session:
        response = session.request(
            method, api.url(GROUPED), params=PARAMS, headers=api.headers, data="x" * 300
        )
        assert response.status_code == 405
        assert loads(response.text)["code"] == "method_not_allowed"
        # the request body was consumed: the next request on the connection is understood
        after = session.get(api.url(GROUPED), params=PARAMS, headers=api.headers, timeout=10)
        assert after.status_code == 200


def test_binds_loopback_only(reader: Sandbox) -> None:
    assert reader.base_url.startswith(f"http://127.0.0.1:{reader.port}/")
    assert reader._server is not None
    host, port = reader._server.socket.getsockname()[:2]
    assert (host, port) == ("127.0.0.1", reader.port)


def test_binds_loopback_even_with_a_fixed_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with Sandbox(invoices=50, port=free) as sandbox:
        assert sandbox._server is not None
        assert sandbox._server.socket.getsockname()[:2] == ("127.0.0.1", free)


def test_keep_alive_reuses_one_connection(reader: Sandbox) -> None:
    headers = {"Authorization": f"Token {reader.token}"}
    with requests.Session() as session:
        first = session.get(reader.base_url + GROUPED, params=PARAMS, headers=headers, timeout=10)
        second = session.get(reader.base_url + INVOICES, params=PARAMS, headers=headers, timeout=10)
        third = session.get(reader.base_url + GROUPED, params={}, headers=headers, timeout=10)
        assert (first.status_code, second.status_code, third.status_code) == (200, 200, 400)
        assert first.headers.get("Connection", "keep-alive").lower() != "close"
        pools = session.get_adapter(reader.base_url).poolmanager.pools
        [key] = pools.keys()
        assert pools[key].num_requests == 3
        assert pools[key].num_connections == 1  # one TCP connection for all three
