"""Months fetched at once, under a client-side rate limit: no 429s, overlap, the same tables."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from tests.pipeline.test_random_runs import random_change


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


def test_the_rate_limiter_keeps_a_full_load_free_of_429s(harness, monkeypatch):
    harness.sandbox.faults.rate_limit(10)  # the sandbox allows 10 requests in any second
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND", "10")
    monkeypatch.setenv("SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS", "1")
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")
    summary = harness.load()
    assert summary.requests > 30  # more than fit in a few windows: the limit was needed
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


def test_the_limiter_never_lets_more_than_its_limit_through_a_window():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=10, window_seconds=0.2)  # 2 requests per 0.2 s
    assert limiter.limit == 2
    started = time.monotonic()
    for _ in range(2):
        limiter.acquire()
        limiter.release()
    answered = time.monotonic()
    limiter.acquire()  # the third waits until the first answer is a window old
    assert time.monotonic() - answered >= 0.2 - 0.01
    assert time.monotonic() - started >= 0.2 - 0.01
    limiter.release()


def test_a_request_in_flight_holds_its_slot():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=1, window_seconds=1)
    limiter.acquire()
    got = threading.Event()

    def second() -> None:
        limiter.acquire()
        got.set()
        limiter.release()

    thread = threading.Thread(target=second)
    thread.start()
    assert not got.wait(0.3)  # still in flight: no second request may start
    limiter.release()
    assert got.wait(3)  # a window after the answer, it does
    thread.join()


def test_no_limiter_when_the_rate_is_zero_or_unset():
    from sources.teamup.api.limits import make_limiter

    assert make_limiter(0, 60) is None
    assert make_limiter(None, 60) is None
    limiter = make_limiter(4, 60)
    assert limiter is not None and limiter.limit == 240
    assert make_limiter(0.5, 1).limit == 1  # the window widens to hold one request
