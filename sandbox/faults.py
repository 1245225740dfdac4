"""Fault switches and the request log: how tests make the sandbox misbehave and watch it."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .render import error_body


@dataclass(frozen=True)
class RequestInfo:
    """What a fault rule or a test may look at; never the Authorization header."""

    seq: int  # 1-based over all requests to the sandbox
    endpoint: str  # "invoices.grouped", "invoices", or the raw path for unknown ones
    endpoint_seq: int  # 1-based over this endpoint's requests
    params: dict[str, list[str]]
    provider_id: str | None


@dataclass
class LoggedRequest:
    info: RequestInfo
    status: int = 0
    arrived: float = field(default_factory=time.monotonic)  # when the request was read
    answered: float = 0.0  # when its answer was ready to send (time.monotonic)
    # The Authorization scheme as received ("Token", "Bearer"; "other" for anything else,
    # None without the header): never the token, nor anything else the header held.
    auth_scheme: str | None = None
    # The faults served to this request, in order: throttled, failed, shuffled, tampered,
    # truncated (so a test can show its fault fired).
    faults: list[str] = field(default_factory=list)


Predicate = Callable[[RequestInfo], bool]


@dataclass
class _Rule:
    when: Predicate
    remaining: int | None  # None: forever
    action: Any = None

    def take(self, info: RequestInfo) -> bool:
        if self.remaining == 0 or not self.when(info):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class Failure:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _always(_info: RequestInfo) -> bool:
    return True


class Hold:
    """Matching requests wait in the sandbox, logged but unanswered, until `release()`: a test
    knows where its client is (this far, no further) instead of guessing it from a sleep."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._released = False
        self._waiting = 0
        self.held: list[RequestInfo] = []  # every request held, in arrival order

    def block(self, info: RequestInfo) -> None:
        """The server's side: wait here until released (at once when released already)."""
        with self._changed:
            if self._released:
                return
            self.held.append(info)
            self._waiting += 1
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released)
            self._waiting -= 1

    def wait(self, count: int = 1, timeout: float = 120) -> bool:
        """The test's side: until `count` requests are held at once; False if the timeout
        (a bound on a hang, not a guess of timing) passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._waiting >= count, timeout)

    def release(self) -> None:
        """Answer the held requests, and let later matching ones through."""
        with self._changed:
            self._released = True
            self._changed.notify_all()


class Faults:
    """All switches off by default. Rules apply to the requests their `when` predicate accepts."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.rng = random.Random(f"faults-{seed}")
        self.reset()

    def reset(self) -> None:
        self.release_holds()
        with self._lock:
            self.latency = 0.0
            self.error_rate = 0.0
            self.unstable_order = False
            self._per_second: float | None = None
            self._window_seconds = 1.0
            self._window: deque[float] = deque()
            self._throttles: list[_Rule] = []
            self._failures: list[_Rule] = []
            self._truncations: list[_Rule] = []
            self._tampers: list[_Rule] = []
            self._holds: list[_Rule] = []

    # -- switches ------------------------------------------------------------------------------

    def rate_limit(self, per_second: float | None, window_seconds: float = 1.0) -> None:
        """At most per_second x window_seconds requests in any window of that many seconds
        (TeamUp's own: 250 a minute); more get 429 + Retry-After."""
        with self._lock:
            self._per_second, self._window = per_second, deque()
            self._window_seconds = window_seconds

    def throttle(self, times: int = 1, retry_after: int = 1, when: Predicate = _always) -> None:
        """The next `times` matching requests get 429 with this Retry-After (seconds)."""
        self._add(self._throttles, _Rule(when, times, retry_after))

    def fail(
        self,
        when: Predicate = _always,
        times: int | None = 1,
        status: int = 500,
        body: bytes | str | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Deterministic failure of chosen requests (`times=None`: until reset)."""
        if body is None:
            body = error_body("server_error", "A server error occurred.", "server_error")
        raw = body.encode() if isinstance(body, str) else body
        self._add(self._failures, _Rule(when, times, Failure(status, raw, content_type)))

    def truncate(self, when: Predicate = _always, times: int = 1) -> None:
        """Cut the body of matching 200 responses in half (Content-Length still consistent)."""
        self._add(self._truncations, _Rule(when, times))

    def tamper(
        self, change: Callable[[dict], dict], when: Predicate = _always, times: int | None = 1
    ) -> None:
        """Rewrite the JSON payload of matching 200 responses before it is sent."""
        self._add(self._tampers, _Rule(when, times, change))

    def hold(self, when: Predicate = _always, times: int | None = None) -> Hold:
        """Matching requests (the next `times`; None: all) wait unanswered until the Hold's
        release(); reset() and the sandbox's stop() release every hold."""
        hold = Hold()
        self._add(self._holds, _Rule(when, times, hold))
        return hold

    def release_holds(self) -> None:
        with self._lock:
            holds = [rule.action for rule in getattr(self, "_holds", [])]
        for hold in holds:
            hold.release()

    def _add(self, rules: list[_Rule], rule: _Rule) -> None:
        with self._lock:
            rules.append(rule)

    # -- used by the server --------------------------------------------------------------------

    def rate_limited(self) -> int | None:
        """Seconds to wait if this request is over the rate limit, else None (and count it)."""
        with self._lock:
            if self._per_second is None:
                return None
            now, span = time.monotonic(), self._window_seconds
            while self._window and now - self._window[0] >= span:
                self._window.popleft()
            if len(self._window) >= round(self._per_second * span, 6):
                return max(1, round(span - (now - self._window[0])))
            self._window.append(now)
            return None

    def holding(self, info: RequestInfo) -> Hold | None:
        rule = self._first(self._holds, info)
        return rule.action if rule else None

    def throttled(self, info: RequestInfo) -> int | None:
        rule = self._first(self._throttles, info)
        return rule.action if rule else None

    def failure(self, info: RequestInfo) -> Failure | None:
        rule = self._first(self._failures, info)
        if rule:
            return rule.action
        with self._lock:
            if self.error_rate and self.rng.random() < self.error_rate:
                status = self.rng.choice((500, 502, 503))
                body = b"<html><body><h1>%d Server Error</h1></body></html>" % status
                return Failure(status, body, "text/html")
        return None

    def truncated(self, info: RequestInfo) -> bool:
        return self._first(self._truncations, info) is not None

    def tampered(self, info: RequestInfo, payload: dict, served: list[str] | None = None) -> dict:
        rule = self._first(self._tampers, info)
        if rule and served is not None:
            served.append("tampered")
        return rule.action(payload) if rule else payload

    def shuffler(self) -> random.Random | None:
        with self._lock:
            return random.Random(self.rng.random()) if self.unstable_order else None

    def _first(self, rules: list[_Rule], info: RequestInfo) -> _Rule | None:
        with self._lock:
            return next((rule for rule in rules if rule.take(info)), None)


class RequestLog:
    """Every request the sandbox answered: count and parameters per endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[LoggedRequest] = []
        self._per_endpoint: dict[str, int] = {}

    def open(
        self,
        endpoint: str,
        params: dict[str, list[str]],
        provider_id: str | None,
        authorization: str | None = None,
    ) -> LoggedRequest:
        """Log a request; of its Authorization header only the scheme is kept."""
        with self._lock:
            n = self._per_endpoint[endpoint] = self._per_endpoint.get(endpoint, 0) + 1
            entry = LoggedRequest(
                RequestInfo(len(self.entries) + 1, endpoint, n, params, provider_id),
                auth_scheme=auth_scheme(authorization),
            )
            self.entries.append(entry)
            return entry

    def count(self, endpoint: str | None = None, status: int | None = None) -> int:
        return len(self.requests(endpoint, status))

    def requests(
        self, endpoint: str | None = None, status: int | None = None
    ) -> list[LoggedRequest]:
        with self._lock:
            return [
                e
                for e in self.entries
                if (endpoint is None or e.info.endpoint == endpoint)
                and (status is None or e.status == status)
            ]

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self._per_endpoint.clear()


def auth_scheme(authorization: str | None) -> str | None:
    """The scheme of an Authorization header, if it is one the sandbox knows: a header holding
    only a token (no scheme) must not put the token in the log."""
    if authorization is None:
        return None
    scheme = authorization.partition(" ")[0]
    return scheme if scheme in ("Token", "Bearer") else "other"
