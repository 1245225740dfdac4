"""The HTTP server: auth, provider selection, faults, then the report engine."""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import render
from .clock import Clock
from .faults import Faults, LoggedRequest, RequestLog
from .generate import build_store
from .model import Customer, Invoice
from .params import ParamError, group_params
from .reports import REPORTS, Breaks, ReportEngine, parse_query
from .store import UNSET, Store

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # loopback only, never configurable
DEFAULT_TOKEN = "sandbox-demo-token"
API_PREFIX = "/api/v2"


class _Reply(Exception):
    """Short-circuits a request with a finished response."""

    def __init__(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.status, self.body, self.content_type, self.headers = (
            status,
            body,
            content_type,
            headers,
        )


def _error(status: int, code: str, message: str, kind: str, fields: dict | None = None) -> _Reply:
    return _Reply(status, render.error_body(code, message, kind, fields))


class Sandbox:
    """A local stand-in of TeamUp's reports API, with hooks to change its data and misbehave.

    Use as a context manager, or start()/stop(); `base_url` and `token` are what a client needs.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        invoices: int = 2000,
        providers: int = 1,
        now: datetime | None = None,
        tokens: dict[str, list[int]] | None = None,
        port: int = 0,
        customers: int | None = None,
    ) -> None:
        self.clock = Clock(now)  # no date given: it runs with the machine clock
        self.store = build_store(
            Store(self.clock),
            seed=seed,
            invoices=invoices,
            providers=providers,
            customers=customers,
        )
        self.engine = ReportEngine(self.store)
        self.faults = Faults(seed)
        self.log = RequestLog()
        self.tokens = tokens or {DEFAULT_TOKEN: sorted(self.store.providers)}
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return next(iter(self.tokens))

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}{API_PREFIX}"

    def start(self) -> Sandbox:
        server = ThreadingHTTPServer((HOST, self._port), _Handler)
        server.daemon_threads = True
        server.sandbox = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval, so stop() returns at once rather than after up to half a second.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.release_holds()  # a request a test still holds must not outlive it
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        if self._server is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def breaks(self) -> Breaks:
        """Switches that break one assumption of the pipeline each (see reports.Breaks)."""
        return self.engine.breaks

    # -- test hooks (each stamps updated_at with the clock's now) -------------------------------

    def invoices(self, provider_id: int | None = None) -> list[Invoice]:
        """A snapshot of the invoices, for tests that compute expectations independently."""
        with self.store.lock:
            providers = [provider_id] if provider_id else list(self.store.providers)
            return [
                Invoice(**vars(invoice))
                for pid in providers
                for invoice in self.store.providers[pid].invoices.values()
            ]

    def customers(self, provider_id: int | None = None) -> list[Customer]:
        with self.store.lock:
            providers = [provider_id] if provider_id else list(self.store.providers)
            return [
                Customer(**vars(c))
                for pid in providers
                for c in self.store.providers[pid].customers.values()
            ]

    def pay(self, invoice_id: int, processor_id: int = 1) -> Invoice:
        return self.store.pay(invoice_id, processor_id)

    def set_status(self, invoice_id: int, status: str) -> Invoice:
        return self.store.set_status(invoice_id, status)

    def add_customer(self, name: str, email: str | None = None, provider_id: int = 1) -> Customer:
        return self.store.add_customer(provider_id, name, email)

    def add_invoice(
        self,
        customer_id: int | None,
        item_id: int,
        due_date: date,
        status: str = "open",
        provider_id: int = 1,
    ) -> Invoice:
        return self.store.add_invoice(provider_id, customer_id, item_id, due_date, status)

    def delete_invoice(self, invoice_id: int) -> None:
        self.store.delete_invoice(invoice_id)

    def move_due_date(self, invoice_id: int, due_date: date) -> Invoice:
        return self.store.move_due_date(invoice_id, due_date)

    def refund(self, invoice_id: int, amount: Decimal | None = None) -> Invoice:
        return self.store.refund(invoice_id, amount)

    def rename_customer(
        self, customer_id: int, name: str, email: object = UNSET, stamp: bool = True
    ) -> Customer:
        return self.store.rename_customer(customer_id, name, email, stamp)

    def change(self, invoice_id: int, **fields: object) -> Invoice:
        """An attribute change, stamped, unchecked: values the docs do not list, no customer."""
        return self.store.change(invoice_id, **fields)

    def change_without_stamp(self, invoice_id: int, **fields: object) -> Invoice:
        """An attribute change TeamUp does not stamp in updated_at (a broken assumption)."""
        return self.store.change_without_stamp(invoice_id, **fields)

    # -- request handling ----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any) -> _Reply:
        url = urlsplit(target)
        report = REPORTS.get(url.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        params: dict[str, list[str]] = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        entry = self.log.open(
            report.name if report else url.path,
            params,
            headers.get("TeamUp-Provider-ID"),
            headers.get("Authorization"),
        )
        try:
            reply = self._answer(method, report, pairs, headers, entry)
        except _Reply as raised:
            reply = raised
        entry.status, entry.answered = reply.status, time.monotonic()
        return reply

    def _answer(self, method, report, pairs, headers, entry: LoggedRequest) -> _Reply:
        info = entry.info
        hold = self.faults.holding(info)
        if hold is not None:
            hold.block(info)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        wait = self.faults.rate_limited() or self.faults.throttled(info)
        if wait:
            entry.faults.append("throttled")
            raise _Reply(
                429,
                render.error_body(
                    "throttled",
                    f"Request was throttled. Expected available in {wait} seconds.",
                    "throttled",
                ),
                **{"Retry-After": str(wait)},
            )
        failure = self.faults.failure(info)
        if failure:
            entry.faults.append("failed")
            raise _Reply(failure.status, failure.body, failure.content_type)
        if report is None:
            raise _error(404, "not_found", "Not found.", "not_found")
        if method != "GET":
            raise _error(
                405, "method_not_allowed", f'Method "{method}" not allowed.', "method_not_allowed"
            )
        provider_id = self._authorize(headers)
        try:
            query = parse_query(report, group_params(pairs), self.store, provider_id)
        except ParamError as bad:
            raise _error(
                400, "invalid", "Invalid input.", "validation_error", bad.field_errors
            ) from None
        shuffle = self.faults.shuffler()
        if shuffle is not None and not query.sort:  # the engine shuffles only these
            entry.faults.append("shuffled")
        payload = self.engine.run(report, provider_id, query, shuffle)
        payload = self.faults.tampered(info, payload, entry.faults)
        if query.format == "csv":
            body = render.to_csv(payload["rows"], report.csv_keys(query.columns))
            content_type = "text/csv; charset=utf-8"
        else:
            body, content_type = render.to_json(payload), "application/json"
        if self.faults.truncated(info):  # CSV bodies too: a cut-off export must be noticed
            entry.faults.append("truncated")
            body = body[: len(body) // 2]
        return _Reply(200, body, content_type)

    def _authorize(self, headers: Any) -> int:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme not in ("Token", "Bearer") or token.strip() not in self.tokens:
            raise _error(
                401,
                "authentication_failed",
                "Invalid token." if token else "Authentication credentials were not provided.",
                "authentication_error",
            )
        providers = self.tokens[token.strip()]
        raw = headers.get("TeamUp-Provider-ID")
        if raw is None:
            if len(providers) == 1:
                return providers[0]
            raise _error(
                400,
                "provider_required",
                "This token serves several providers: send the TeamUp-Provider-ID header.",
                "validation_error",
                {"TeamUp-Provider-ID": ["This header is required."]},
            )
        if not raw.strip().isdigit() or int(raw) not in providers:
            raise _error(
                403,
                "permission_denied",
                "You do not have permission to act on this provider.",
                "permission_error",
                {"TeamUp-Provider-ID": [f'Invalid provider "{raw}".']},
            )
        return int(raw)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    server_version = "TeamUpSandbox/1.0"

    def setup(self) -> None:
        super().setup()
        # Without TCP_NODELAY, keep-alive + Nagle adds ~40 ms per request and skews every timing.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _respond(self) -> None:
        sandbox: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        # Read any request body, or its bytes would be taken for the next keep-alive request.
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):
            self.rfile.read(int(length))
        try:
            reply = sandbox.handle(self.command, self.path, self.headers)
        except Exception:  # a sandbox bug must still answer, as a 500
            log.exception("sandbox error on %s", urlsplit(self.path).path)
            reply = _error(500, "server_error", "A server error occurred.", "server_error")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _respond

    def send_response(self, code: int, message: str | None = None) -> None:
        sandbox: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        if not sandbox.breaks.no_date_header:
            super().send_response(code, message)
            return
        # http.server's own, without the Date header (a broken assumption, for the probe)
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the sandbox clock, as TeamUp's tells its own: clients may
        # take "now" from it to stay consistent with the updated_at values it stamps.
        sandbox: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        return email.utils.format_datetime(sandbox.clock.now(), usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)
