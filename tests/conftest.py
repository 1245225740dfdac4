"""Shared fixtures: every test runs isolated, against a real sandbox on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox import Sandbox

# The sandbox clock for tests: fixed, so generated data and windows are reproducible.
TEST_NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
TEST_INVOICES = 1500


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working dir, dlt data dir and environment, restored after the test."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("SOURCES__", "DESTINATION__", "RUNTIME__", "TEAMUP_ETL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on ephemeral ports; all are stopped at the end of the test."""
    started: list[Sandbox] = []

    def start(**options) -> Sandbox:
        options.setdefault("invoices", TEST_INVOICES)
        options.setdefault("now", TEST_NOW)
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()
