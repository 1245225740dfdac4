"""Requests at once: a client-side rate limiter shared by a run, and an ordered thread pool."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class RateLimiter:
    """At most `limit` requests in any `window` seconds, so the client never provokes a 429.

    A request holds its slot from the moment it is sent until `window` seconds after its
    answer arrived. TeamUp counts a request somewhere in between (when it reaches the
    server), so stamping the answer's time is never early, whatever the network or the
    server's queue did: unlike a limiter that stamps send times, it needs no guessed margin.
    No installed library does this (dlt's retrying session only reacts to 429s, and urllib3
    has no limiter), so it is written here: a lock, a counter and a deque.
    """

    def __init__(self, per_second: float, window_seconds: float) -> None:
        # A window shorter than one request's share would allow none: widen it.
        self.window = max(float(window_seconds), 1.0 / per_second)
        self.limit = max(1, math.floor(per_second * self.window + 1e-9))
        self._answered: deque[float] = deque()  # answer times within the last window
        self._in_flight = 0
        self._changed = threading.Condition()

    def acquire(self) -> None:
        """Block until one more request fits in the window, then take its slot."""
        with self._changed:
            while True:
                now = time.monotonic()
                while self._answered and self._answered[0] <= now - self.window:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self.limit:
                    self._in_flight += 1
                    return
                oldest = self._answered[0] + self.window - now if self._answered else None
                self._changed.wait(oldest)  # None: until an answer arrives

    def release(self) -> None:
        """The answer (or the failure) arrived: the slot frees `window` seconds from now."""
        with self._changed:
            self._in_flight -= 1
            self._answered.append(time.monotonic())
            self._changed.notify_all()


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
