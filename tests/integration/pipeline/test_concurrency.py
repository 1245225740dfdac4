"""Months fetched at once, under a client-side rate limit: no 429s, overlap, the same tables."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from tests.support.changes import random_change


def count_in_flight(sandbox) -> dict[str, int]:
    """Wrap the sandbox's request handler to record how many requests it served at once."""
    seen = {"now": 0, "max": 0}
    lock = threading.Lock()
    handle = sandbox.handle

    def counting(*args, **kwargs):
        with lock:
            seen["now"] += 1
            seen["max"] = max(seen["max"], seen["now"])
        try:
            return handle(*args, **kwargs)
        finally:
            with lock:
                seen["now"] -= 1

    sandbox.handle = counting
    return seen


# The limiter's margin (a twentieth of a window) absorbs the spread of the delay between a
# request's send and the server counting it. Here that delay is thread scheduling, and on a
# loaded two-CPU CI machine it once passed 50 ms, a 1-second window's margin (1 of 808
# tests). TeamUp's window is a minute (a 3-second margin); 5 seconds, at the same rate,
# gives 250 ms.
WINDOW_SECONDS = 5


def test_the_rate_limiter_keeps_a_full_load_free_of_429s(harness, monkeypatch):
    # the sandbox allows 50 requests in any 5 seconds, and the client is told the same
    harness.sandbox.faults.rate_limit(10, window_seconds=WINDOW_SECONDS)
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND", "10")
    monkeypatch.setenv("SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS", str(WINDOW_SECONDS))
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")
    summary = harness.load()
    assert summary.requests > 10 * WINDOW_SECONDS  # more than a window holds: the limit was needed
    assert harness.sandbox.log.count(status=429) == 0
    assert harness.sandbox.log.count() == summary.requests
    harness.sandbox.faults.rate_limit(None)
    harness.assert_exact()


def test_months_are_fetched_at_once(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")
    harness.sandbox.faults.latency = 0.02  # each answer waits: requests overlap if sent at once
    in_flight = count_in_flight(harness.sandbox)
    harness.load()
    assert 1 < in_flight["max"] <= 4


def test_one_request_at_a_time_when_configured(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "1")
    harness.sandbox.faults.latency = 0.01
    in_flight = count_in_flight(harness.sandbox)
    harness.load()
    assert in_flight["max"] == 1


def test_concurrent_runs_load_what_sequential_runs_load(make_harness, monkeypatch):
    """Full load, a night of changes (deletions, re-dating, new invoices) and a backfill, each
    run with four requests at once, against fresh one-at-a-time loads."""
    harness = make_harness(invoices=3000, seed=11)
    rng = random.Random(11)

    def concurrent() -> None:
        monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")

    def sequential() -> None:
        monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "1")

    concurrent()
    harness.load()
    sequential()
    assert harness.tables() == harness.fresh_tables()
    for _ in range(12):
        random_change(harness.sandbox, rng)
    harness.later(minutes=30)
    concurrent()
    harness.load()
    months = sorted({i.due_date for i in harness.sandbox.invoices()})
    harness.backfill(months[len(months) // 2], months[len(months) // 2] + timedelta(days=70))
    sequential()
    assert harness.tables() == harness.fresh_tables()
