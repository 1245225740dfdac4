"""The run's gate: the rate limit (slots held in flight), and the pause after a 429."""

from __future__ import annotations

import threading
import time


def test_the_limiter_never_lets_more_than_its_limit_through_a_window():
    from sources.teamup.api.limits import WINDOW_MARGIN, RateLimiter

    limiter = RateLimiter(per_second=10, window_seconds=0.2)  # 2 requests per 0.2 s
    assert limiter.limit == 2
    sent = [limiter.acquire() for _ in range(2)]
    for stamp in sent:
        limiter.release(stamp)
    third = limiter.acquire()  # waits until the first send is a window (and margin) old
    assert third - sent[0] >= 0.2 * (1 + WINDOW_MARGIN) - 0.005
    limiter.release(third)


def test_a_slow_answer_holds_its_slot_until_it_arrives_not_a_window_longer():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=1, window_seconds=1)
    sent = limiter.acquire()
    got = threading.Event()

    def second() -> None:
        limiter.release(limiter.acquire())
        got.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not got.wait(0.3)  # still in flight: no second request may start
    time.sleep(1.2)  # the answer comes after more than a window
    limiter.release(sent)
    assert got.wait(0.5)  # at once: the window since its sending has passed
    thread.join()


def test_requests_as_fast_as_the_rate_when_answers_are_quick():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=20, window_seconds=0.25)  # 5 per 0.25 s
    started = time.monotonic()
    for _ in range(15):  # three windows' worth
        limiter.release(limiter.acquire())
    assert time.monotonic() - started < 3 * 0.25 * 1.2  # not latency + window each


def test_no_limiter_when_the_rate_is_zero_or_unset():
    from sources.teamup.api.limits import make_limiter

    assert make_limiter(0, 60) is None
    assert make_limiter(None, 60) is None
    limiter = make_limiter(4, 60)
    assert limiter is not None and limiter.limit == 240
    assert make_limiter(0.5, 1).limit == 1  # the window widens to hold one request


def test_a_429_pauses_every_request_for_its_retry_after():
    from sources.teamup.api.limits import RequestGate

    gate = RequestGate()
    gate.leave(gate.enter(), 429, 0.3)
    started = time.monotonic()
    sent = gate.enter()  # another thread's next request, or the retry: after the pause
    assert sent - started >= 0.29
    gate.leave(sent, 200, None)


def test_429s_without_retry_after_back_off_doubling_up_to_a_minute():
    from sources.teamup.api.limits import MAX_PAUSE_SECONDS, RequestGate

    gate = RequestGate()
    pauses = []
    for _ in range(8):
        before = time.monotonic()
        gate.leave(before, 429, None)
        pauses.append(round(gate._open_at - before))
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60] and MAX_PAUSE_SECONDS == 60
    gate.leave(0.0, 200, None)  # an answer that is not a 429 resets the doubling
    before = time.monotonic()
    gate._open_at = 0.0
    gate.leave(before, 429, None)
    assert round(gate._open_at - before) == 1


def test_the_limiter_slows_down_after_a_429_but_never_below_half():
    from sources.teamup.api.limits import RateLimiter

    limiter = RateLimiter(per_second=4, window_seconds=60)  # 240 a minute
    limiter.slow_down()
    assert limiter.limit == 216
    for _ in range(20):
        limiter.slow_down()
    assert limiter.limit == 120


def test_retry_after_in_seconds_or_as_an_http_date():
    import requests

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
    assert retry_after(answer()) is None
    assert retry_after(answer(**{"Retry-After": "soon"})) is None
