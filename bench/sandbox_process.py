"""The sandbox in a process of its own, driven through a pipe, so a load's RSS is only its own."""

from __future__ import annotations

import multiprocessing
import random
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox import Sandbox
from sandbox.reports import REPORTS

from .nightly_budget import Night, change_a_night

ENDPOINT_PATHS = {report.name: path for path, report in REPORTS.items()}


def _serve(conn: Any, seed: int, invoices: int, customers: int | None, now: datetime) -> None:
    """The child: build and serve the sandbox, then answer commands until told to stop."""
    sandbox = Sandbox(seed=seed, invoices=invoices, customers=customers, now=now).start()
    conn.send((sandbox.base_url, sandbox.token))
    commands = {
        "requests": lambda: [
            (ENDPOINT_PATHS[e.info.endpoint], urlencode(e.info.params, doseq=True), e.status)
            for e in sandbox.log.requests()
        ],
        "count": lambda status=None: sandbox.log.count(status=status),
        "customers": lambda: len(sandbox.customers()),
        "clear": sandbox.log.clear,
        "advance": lambda hours: sandbox.clock.advance(hours=hours),
        "night": lambda seed: change_a_night(sandbox, random.Random(seed)),
        "faults": _set_faults(sandbox),
        "due_range": lambda: _due_range(sandbox),
    }
    while True:
        name, args = conn.recv()
        if name == "stop":
            break
        try:
            conn.send(("ok", commands[name](*args)))
        except Exception as error:  # reported to the parent, which raises it
            conn.send(("error", repr(error)))
    sandbox.stop()


def _set_faults(sandbox: Sandbox) -> Any:
    def apply(
        latency: float = 0.0, per_second: float | None = None, window_seconds: float = 1.0
    ) -> None:
        sandbox.faults.latency = latency
        sandbox.faults.rate_limit(per_second, window_seconds)

    return apply


def _due_range(sandbox: Sandbox) -> tuple[date, date]:
    dates = [invoice.due_date for invoice in sandbox.invoices()]
    return min(dates), max(dates)


class SandboxProcess:
    """`with SandboxProcess(invoices=30000) as sandbox:` — base_url, token, and commands.
    `customers`: how many (None: the sandbox's default, one for every 24 invoices)."""

    def __init__(
        self, *, seed: int, invoices: int, now: datetime, customers: int | None = None
    ) -> None:
        self._options = (seed, invoices, customers, now)
        self.base_url = self.token = ""

    def __enter__(self) -> SandboxProcess:
        context = multiprocessing.get_context("spawn")  # nothing of the parent's state leaks in
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, *self._options), daemon=True)
        self._process.start()
        self.base_url, self.token = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send(("stop", ()))
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        status, value = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"sandbox command {name} failed: {value}")
        return value

    def requests(self) -> list[tuple[str, str, int]]:
        """(path, query string, status) of every request logged since the last clear."""
        return self.call("requests")

    def count(self, status: int | None = None) -> int:
        return self.call("count", status)

    def customers(self) -> int:
        return self.call("customers")

    def clear(self) -> None:
        self.call("clear")

    def advance(self, hours: float) -> None:
        self.call("advance", hours)

    def change_a_night(self, seed: int) -> Night:
        return Night(*self.call("night", seed))

    def faults(
        self, latency: float = 0.0, per_second: float | None = None, window_seconds: float = 1.0
    ) -> None:
        self.call("faults", latency, per_second, window_seconds)

    def due_range(self) -> tuple[date, date]:
        return self.call("due_range")
