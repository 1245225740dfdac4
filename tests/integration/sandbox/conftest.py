"""Fixtures of the sandbox tests."""

# Building a sandbox takes some tens of milliseconds, so the many tests that only read share one
# (`reader`, with `api` a client of it); a guard fails any of them that changes its data or
# switches a fault on. Tests that change things use the per-test `sandbox` / `make_sandbox`.

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import Sandbox
from tests.support import TEST_INVOICES, TEST_NOW

from .helpers import Api


@pytest.fixture(scope="session")
def _shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox(invoices=TEST_INVOICES, now=TEST_NOW) as shared:
        yield shared


@pytest.fixture
def reader(_shared_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The shared, read-only sandbox (default seed, TEST_NOW, TEST_INVOICES)."""
    version = _shared_sandbox.store.version
    yield _shared_sandbox
    assert _shared_sandbox.store.version == version, "a reader test changed the shared data"
    assert _shared_sandbox.clock.now() == TEST_NOW, "a reader test moved the shared clock"
    faults = _shared_sandbox.faults
    assert not (faults.latency or faults.error_rate or faults.unstable_order)


@pytest.fixture
def api(reader: Sandbox) -> Iterator[Api]:
    """A client of the shared sandbox."""
    client = Api(reader)
    yield client
    client.session.close()


@pytest.fixture
def fresh_api(sandbox: Sandbox) -> Iterator[Api]:
    """A client of this test's own sandbox, for tests that change data or faults."""
    client = Api(sandbox)
    yield client
    client.session.close()
