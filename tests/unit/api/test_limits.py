"""The run's gate: the rate limit (slots held in flight), and the pause after a 429.

Time is a SteppedClock here: it stands still until the limiter or the gate waits on it, so
each test asserts the exact moments a request may go, whatever the machine's load."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest


class SteppedClock:
    """A timed wait moves the clock on by its length at once; an untimed one (for an answer)
    waits for another thread's notify, and says so in `untimed`."""

    def __init__(self) -> None:
        self.time = 0.0
        self.waits: list[float] = []
        self.untimed = threading.Event()

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def wait(self, changed: threading.Condition, seconds: float | None) -> None:
        if seconds is None:
            self.untimed.set()
            changed.wait()
        else:
            self.waits.append(seconds)
            self.time += seconds


def test_the_limiter_never_lets_more_than_its_limit_through_a_window():
    from sources.teamup.api.limits import RateLimiter

    clock = SteppedClock()
    limiter = RateLimiter(per_second=10, window_seconds=0.2, clock=clock)  # 2 per 0.2 s
    assert limiter.limit == 2
    sent = [limiter.acquire() for _ in range(2)]
    for stamp in sent:
        limiter.release(stamp)
    third = limiter.acquire()  # when the first send is a window and a twentieth old
    assert sent == [0.0, 0.0]
    assert third == pytest.approx(0.21)
    assert clock.waits == [pytest.approx(0.21)]


def test_a_slow_answer_holds_its_slot_until_it_arrives_not_a_window_longer():
    from sources.teamup.api.limits import RateLimiter

    clock = SteppedClock()
    limiter = RateLimiter(per_second=1, window_seconds=1, clock=clock)
    sent = limiter.acquire()
    second: list[float] = []
    thread = threading.Thread(target=lambda: second.append(limiter.acquire()), daemon=True)
    thread.start()
    # Still in flight: the second request waits for its answer, however long that takes.
    assert clock.untimed.wait(30), "the second request did not wait for the first's answer"
    assert second == []
    clock.advance(1.2)  # the answer comes after more than a window
    limiter.release(sent)
    thread.join(30)
    assert second == [1.2]  # at once: the window since its sending has passed
    assert clock.waits == []


def test_requests_as_fast_as_the_rate_when_answers_are_quick():
    from sources.teamup.api.limits import RateLimiter

    clock = SteppedClock()
    limiter = RateLimiter(per_second=20, window_seconds=0.25, clock=clock)  # 5 per 0.25 s
    batches = []
    for _ in range(3):  # three windows' worth
        batch = [limiter.acquire() for _ in range(5)]
        clock.advance(0.1)  # each answer takes 100 ms
        for stamp in batch:
            limiter.release(stamp)
        batches.append(batch)
    # A window and a twentieth after the sends, not after the answers (0.3625, 0.725)
    assert batches == [[0.0] * 5, [pytest.approx(0.2625)] * 5, [pytest.approx(0.525)] * 5]


def test_no_limiter_when_the_rate_is_zero_or_unset():
    from sources.teamup.api.limits import make_limiter

    assert make_limiter(0, 60) is None
    assert make_limiter(None, 60) is None
    limiter = make_limiter(4, 60)
    assert limiter is not None and limiter.limit == 240
    assert make_limiter(0.5, 1).limit == 1  # the window widens to hold one request


def test_a_429_pauses_every_request_for_its_retry_after():
    from sources.teamup.api.limits import RequestGate

    clock = SteppedClock()
    gate = RequestGate(clock=clock)
    gate.leave(gate.enter(), 429, 0.3)
    sent = gate.enter()  # another thread's next request, or the retry: after the pause
    assert sent == pytest.approx(0.3)
    assert clock.waits == [pytest.approx(0.3)]
    gate.leave(sent, 200, None)
    assert gate.enter() == sent  # the pause is over: no more waiting


def test_with_a_limiter_the_pause_is_measured_on_its_clock():
    from sources.teamup.api.limits import RateLimiter, RequestGate

    clock = SteppedClock()
    gate = RequestGate(RateLimiter(per_second=100, window_seconds=1, clock=clock))
    assert gate.clock is clock  # the pause is measured on the limiter's clock
    gate.leave(gate.enter(), 429, 2)
    assert gate.enter() == 2.0


def test_429s_without_retry_after_back_off_doubling_up_to_a_minute():
    from sources.teamup.api.limits import RequestGate

    clock = SteppedClock()
    gate = RequestGate(clock=clock)

    def pause_after_a_429() -> float:
        gate.leave(clock.now(), 429, None)
        before = clock.now()
        gate.enter()
        return clock.now() - before

    assert [pause_after_a_429() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    gate.leave(clock.now(), 200, None)  # an answer that is not a 429 resets the doubling
    assert pause_after_a_429() == 1


def test_the_limiter_slows_down_after_a_429_but_never_below_half():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=4, window_seconds=60)  # 240 a minute
    limiter.slow_down()
    assert limiter.limit == 216
    for _ in range(20):
        limiter.slow_down()
    assert limiter.limit == 120


def test_retry_after_in_seconds_or_as_an_http_date(monkeypatch):
    import requests

    from sources.teamup.api import pages
    from sources.teamup.api.pages import retry_after

    def answer(**headers: str) -> requests.Response:
        response = requests.Response()
        response.status_code = 429
        response.headers.update(headers)
        return response

    assert retry_after(answer(**{"Retry-After": "7"})) == 7.0
    dated = answer(**{"Retry-After": "Wed, 25 Nov 2026 06:00:30 GMT"})
    dated.headers["Date"] = "Wed, 25 Nov 2026 06:00:00 GMT"  # measured on the API's clock
    assert retry_after(dated) == 30.0
    # Without the API's Date: against this machine's clock (stood in for: no real date here)
    machine = datetime(2026, 11, 25, 6, 0, 10, tzinfo=UTC)
    monkeypatch.setattr(pages, "machine_clock", lambda: machine)
    assert retry_after(answer(**{"Retry-After": "Wed, 25 Nov 2026 06:00:30 GMT"})) == 20.0
    assert retry_after(answer()) is None
    assert retry_after(answer(**{"Retry-After": "soon"})) is None
