"""Requests at once: the run's rate limit and 429 pause, shared by every request, and a pool."""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Protocol, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Clock(Protocol):
    """What the limiter and the gate tell time with, and wait on (a test's fake steps it)."""

    def now(self) -> float: ...

    def wait(self, changed: threading.Condition, seconds: float | None) -> None:
        """Wait on `changed` (held) until notified or `seconds` have passed (None: notified)."""


class MonotonicClock:
    """The real one: time.monotonic, and the condition's own timed wait."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, changed: threading.Condition, seconds: float | None) -> None:
        changed.wait(seconds)


MONOTONIC = MonotonicClock()


# A slot is held a twentieth of a window longer than the window itself: room for the spread
# of the network's delay between our sending a request and TeamUp counting it.
WINDOW_MARGIN = 0.05


class RateLimiter:
    """At most `limit` requests sent in any `window` seconds, so the client does not provoke a
    429 from an API that allows that many.

    A request holds its slot from the moment it is sent until the later of its answer and
    `window` (and a margin) after it was sent. TeamUp counts a request when it arrives: a
    window of sends is a window of arrivals shifted by the network's delay, and the margin
    absorbs the delay's spread. Should TeamUp count more strictly anyway, its 429 pauses the
    whole run (RequestGate) and the limit slows down: the gate is the safety net that lets
    the limiter run at the rate. (Holding a slot until a window after the answer needs no
    margin, but makes each request cost latency + window: 1.36x the floor at 250 ms.)
    No installed library does this (dlt's retrying session only reacts to 429s, and urllib3
    has no limiter), so it is written here: a lock, a counter and a heap.
    """

    def __init__(self, per_second: float, window_seconds: float, clock: Clock = MONOTONIC) -> None:
        self.clock = clock
        # A window shorter than one request's share would allow none: widen it.
        self.window = max(float(window_seconds), 1.0 / per_second)
        self.limit = max(1, math.floor(per_second * self.window + 1e-9))
        self._configured = self.limit
        self._held: list[float] = []  # heap: when each answered request's slot frees
        self._in_flight = 0
        self._changed = threading.Condition()

    def acquire(self) -> float:
        """Block until one more request fits in the window, take its slot; when it was sent."""
        with self._changed:
            while True:
                now = self.clock.now()
                while self._held and self._held[0] <= now:
                    heapq.heappop(self._held)
                if self._in_flight + len(self._held) < self.limit:
                    self._in_flight += 1
                    return now
                first_free = self._held[0] - now if self._held else None
                self.clock.wait(self._changed, first_free)  # None: until an answer arrives

    def release(self, sent: float) -> None:
        """The answer (or the failure) arrived: the slot frees a window after `sent`."""
        with self._changed:
            self._in_flight -= 1
            frees = max(self.clock.now(), sent + self.window * (1 + WINDOW_MARGIN))
            heapq.heappush(self._held, frees)
            self._changed.notify_all()

    def slow_down(self) -> None:
        """A 429 came through anyway: the API counts more strictly than this limit said.
        Ten percent fewer requests a window from now on, never below half the configured."""
        with self._changed:
            floor = math.ceil(self._configured / 2)
            self.limit = max(floor, min(self.limit, math.floor(self.limit * 0.9)))


# The longest pause after 429s that came without a Retry-After, doubling from one second.
MAX_PAUSE_SECONDS = 60.0


class RequestGate:
    """What every request of a run passes before it is sent: the rate limit, if any, and the
    pause after a 429. One for the run (one token is one caller to TeamUp, all providers).

    A 429 with Retry-After (seconds, or an HTTP date) holds back every request of the run
    until then, not only the one refused: requests sent inside the window would be refused
    too, and real APIs count them against the caller. Without Retry-After the pause doubles
    from a second with each 429 in a row, up to a minute. dlt's retrying session still
    retries the refused request itself, after its own wait; the gate only keeps the others
    (and that retry) from going earlier. Not in dlt or urllib3: their retries are per request.
    """

    def __init__(self, limiter: RateLimiter | None = None, clock: Clock | None = None) -> None:
        self.limiter = limiter
        # the limiter's clock: a pause and a window are measured alike
        self.clock = clock or (limiter.clock if limiter else MONOTONIC)
        self._open_at = 0.0  # clock.now() before which nothing is sent
        self._blind = 0  # 429s in a row without a Retry-After
        self._changed = threading.Condition()

    def enter(self) -> float:
        """Block until the pause is over and the rate limit has room, then take a slot."""
        self._wait_for_pause()
        if self.limiter is None:
            return self.clock.now()
        sent = self.limiter.acquire()
        self._wait_for_pause()  # a 429 may have come in while this waited for its slot
        return max(sent, self.clock.now())

    def leave(self, sent: float, status: int | None, retry_after: float | None) -> None:
        """The answer arrived (`status`; None when the request failed without one)."""
        if self.limiter is not None:
            self.limiter.release(sent)
        if status == 429:
            self._pause(retry_after)
        elif status is not None:
            with self._changed:
                self._blind = 0

    def _pause(self, retry_after: float | None) -> None:
        with self._changed:
            if retry_after is None:
                self._blind += 1
                retry_after = min(MAX_PAUSE_SECONDS, 2.0 ** (self._blind - 1))
            self._open_at = max(self._open_at, self.clock.now() + retry_after)
            self._changed.notify_all()
        if self.limiter is not None:
            self.limiter.slow_down()
        logger.info("429 from the API: every request waits %.1fs", retry_after)

    def _wait_for_pause(self) -> None:
        with self._changed:
            while (left := self._open_at - self.clock.now()) > 0:
                self.clock.wait(self._changed, left)


def make_gate(per_second: float | None, window_seconds: float) -> RequestGate:
    return RequestGate(make_limiter(per_second, window_seconds))


def make_limiter(per_second: float | None, window_seconds: float) -> RateLimiter | None:
    """A limiter, or None when the rate is 0 or unset (no client-side limit)."""
    if not per_second or per_second <= 0:
        return None
    return RateLimiter(per_second, window_seconds)


def ordered_map(
    function: Callable[[Item], Result], items: Iterable[Item], workers: int
) -> Iterator[Result]:
    """`map` on up to `workers` threads, results in the items' order.

    At most `workers` items are being worked on or waiting to be taken, so memory stays
    bounded however many items there are. Not dlt's `parallelized` resources or `defer`:
    those hand results on in the order they finish, and the run's batches (and so its load
    packages) should not depend on timing. An exception is raised at its item's turn, after
    the items still running have finished; the ones not started are dropped.
    """
    source = iter(items)
    if workers <= 1:
        yield from map(function, source)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="teamup-request") as pool:
        pending: deque[Future[Result]] = deque(
            pool.submit(function, item) for item in islice(source, workers)
        )
        try:
            while pending:
                result = pending.popleft().result()
                pending.extend(pool.submit(function, item) for item in islice(source, 1))
                yield result
        finally:
            for future in pending:
                future.cancel()
