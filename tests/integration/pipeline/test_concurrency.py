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


# The limiter's promise is on its own clock: no more than LIMIT requests sent in any
# WINDOW_SECONDS. The sandbox cannot check it exactly: it counts arrivals, each later than its
# send by a thread scheduling delay that on a loaded two-CPU machine has passed 50 ms. So the
# sends are read from the limiter itself, and the sandbox's log shows every request passed it.
PER_SECOND, WINDOW_SECONDS, LIMIT = 20, 0.5, 10


def test_every_request_of_a_full_load_passes_the_rate_limit(harness, monkeypatch):
    from sources.teamup.api.limits import RateLimiter

    monkeypatch.setenv("SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND", str(PER_SECOND))
    monkeypatch.setenv("SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS", str(WINDOW_SECONDS))
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")
    sends: list[float] = []
    acquire = RateLimiter.acquire

    def recorded(limiter: RateLimiter) -> float:
        sent = acquire(limiter)
        sends.append(sent)
        return sent

    monkeypatch.setattr(RateLimiter, "acquire", recorded)
    summary = harness.load()
    assert len(sends) == harness.sandbox.log.count() == summary.requests
    assert len(sends) > 3 * LIMIT  # several windows' worth: the limit was needed
    sends.sort()
    spans = [later - first for first, later in zip(sends, sends[LIMIT:], strict=False)]
    assert min(spans) >= WINDOW_SECONDS  # any LIMIT + 1 sends span a window at least
    harness.assert_exact()


def test_months_are_fetched_at_once(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "4")
    in_flight = count_in_flight(harness.sandbox)
    # The first two month fetches wait in the sandbox until both are there: sent at once.
    hold = harness.sandbox.faults.hold(when=lambda info: "due_date_gte" in info.params, times=2)
    together: list[bool] = []
    waiter = threading.Thread(target=lambda: (together.append(hold.wait(2)), hold.release()))
    waiter.start()
    harness.load()
    waiter.join()
    assert together == [True]
    # two months, not one asked again (the client gives up on a request held too long)
    assert len({info.params["due_date_gte"][0] for info in hold.held}) == 2
    assert in_flight["max"] <= 4


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
