"""The HTTP client honours the proxy variables of its environment (read once, when built)."""

from __future__ import annotations

import socket

import pytest

from sources.teamup.api.client import ReportClient
from sources.teamup.exceptions import NetworkError
from sources.teamup.settings import GROUPED_ENDPOINT

CHECKSUM = {"columns": ["status", "count"], "sort": ["status"], "format": "json"}


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> str:
    """An HTTP proxy on a local port nothing listens on; one attempt per request."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("http_proxy", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
    return f"127.0.0.1:{port}"


def test_a_proxy_in_the_environment_carries_the_requests(sandbox, dead_proxy):
    client = ReportClient(sandbox.base_url, sandbox.token)
    with pytest.raises(NetworkError):
        client.query(GROUPED_ENDPOINT, CHECKSUM)
    assert sandbox.log.count() == 0  # nothing reached the API: it went to the proxy


def test_no_proxy_for_the_api_host_goes_direct(sandbox, dead_proxy, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = ReportClient(sandbox.base_url, sandbox.token)
    result = client.query(GROUPED_ENDPOINT, CHECKSUM)
    assert sum(int(row["count"]) for row in result.rows) == len(sandbox.invoices())
