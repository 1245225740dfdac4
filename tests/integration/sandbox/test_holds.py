"""Holds: requests the sandbox keeps unanswered until the test releases them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox import Sandbox

from .helpers import GROUPED, INVOICES, Api

PARAMS = {"columns": "status,count", "format": "json", "limit": 100}


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox(invoices=100)


def test_a_held_request_is_logged_and_answered_only_once_released(sandbox: Sandbox):
    hold = sandbox.faults.hold(when=lambda info: info.endpoint == "invoices.grouped")
    with ThreadPoolExecutor(3) as pool:
        grouped = [pool.submit(Api(sandbox).get, GROUPED, PARAMS) for _ in range(2)]
        assert hold.wait(2)  # both arrived, and wait together
        other = pool.submit(Api(sandbox).get, INVOICES, {"format": "json"}).result(timeout=30)
        assert other.status_code == 200  # a request the hold does not match is answered
        assert not any(future.done() for future in grouped)
        assert [e.status for e in sandbox.log.requests("invoices.grouped")] == [0, 0]
        hold.release()
        assert [future.result(timeout=30).status_code for future in grouped] == [200, 200]
    assert [info.endpoint_seq for info in hold.held] == [1, 2]
    assert Api(sandbox).get(GROUPED, PARAMS).status_code == 200  # released: no longer held
    assert len(hold.held) == 2


def test_times_holds_only_that_many_and_reset_releases_them(sandbox: Sandbox):
    hold = sandbox.faults.hold(times=1)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(Api(sandbox).get, GROUPED, PARAMS)
        assert hold.wait(1)
        assert Api(sandbox).get(GROUPED, PARAMS).status_code == 200  # the second passes
        sandbox.faults.reset()
        assert first.result(timeout=30).status_code == 200


def test_stopping_the_sandbox_releases_what_it_holds(make_sandbox: Callable[..., Sandbox]):
    sandbox = make_sandbox(invoices=100)
    hold = sandbox.faults.hold()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(Api(sandbox).get, GROUPED, PARAMS)
        assert hold.wait(1)
        sandbox.stop()
        assert held.result(timeout=30).status_code == 200


def test_a_wait_for_more_than_arrive_says_so(sandbox: Sandbox):
    hold = sandbox.faults.hold()
    assert hold.wait(1, timeout=0.01) is False
