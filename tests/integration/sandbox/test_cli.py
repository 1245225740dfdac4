"""`python -m sandbox`: serves until stopped, after printing its base URL and token."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import sandbox as sandbox_package

from .helpers import GROUPED, INVOICES, loads

REPO = Path(sandbox_package.__file__).resolve().parent.parent


class Served:
    """A `python -m sandbox` process, its stdout read line by line on a thread."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", *args],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def lines(self, count: int, patience: float = 60.0) -> list[str]:
        """The first `count` lines; `patience` only guards against a hung process."""
        found: list[str] = []
        try:
            while len(found) < count:
                found.append(self._lines.get(timeout=patience))
        except queue.Empty:
            pass
        return found

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


@pytest.fixture
def serve() -> Iterator:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def test_serves_and_prints_url_and_token(serve) -> None:
    served = serve("--port", "0", "--seed", "1", "--invoices", "200")
    first, second = served.lines(2)
    prefix = "TeamUp sandbox serving "
    assert first.startswith(prefix), first
    base_url = first.removeprefix(prefix)
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v2")
    assert second.startswith("token: ")
    token = second.removeprefix("token: ")
    response = requests.get(
        base_url + GROUPED,
        params={"columns": "count", "format": "json"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 200
    assert loads(response.text)["rows"] == [{"count": "200"}]
    assert served.process.poll() is None  # still serving
    served.stop()
    assert served.process.returncode is not None


def test_serves_on_the_port_asked_for(serve) -> None:
    with socket.socket() as probe:  # a port free now; the sandbox binds it a moment later
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = serve("--port", str(port), "--invoices", "100")
    first, _ = served.lines(2)
    assert first == f"TeamUp sandbox serving http://127.0.0.1:{port}/api/v2"


def test_providers_and_today(serve) -> None:
    served = serve(
        "--port", "0", "--invoices", "100", "--providers", "2", "--today", "2025-03-01T12:00"
    )
    first, second, third = served.lines(3)
    assert third == "provider ids: 1, 2"
    base_url, token = first.split()[-1], second.split()[-1]
    response = requests.get(
        base_url + INVOICES,
        params={"format": "json", "columns": "due_date", "sort": "-due_date", "limit": 1},
        headers={"Authorization": f"Bearer {token}", "TeamUp-Provider-ID": "2"},
        timeout=30,
    )
    assert response.status_code == 200
    [latest] = loads(response.text)["rows"]
    assert "2025-03-01" < latest["due_date"] <= "2025-04-02"  # upcoming invoices of that day


def test_bad_arguments_exit_with_usage(serve) -> None:
    served = serve("--providers", "9")
    assert served.process.wait(timeout=60) == 2
    assert served.process.stderr is not None
    assert "usage" in served.process.stderr.read().lower()
