"""The client-side rate limiter: never more than its limit in a window, slots held in flight."""

from __future__ import annotations

import threading
import time


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
