"""HTTP and paging over TeamUp's report endpoints, on dlt's RESTClient and retrying session."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator
from requests.adapters import HTTPAdapter

from ..exactness.fetch_plan import pages
from ..exceptions import (
    ConfigurationError,
    MalformedResponseError,
    NetworkError,
)
from ..settings import PAGE_SIZE, QUERY_ATTEMPTS, ROWS_IN_MEMORY
from .limits import RequestGate
from .pages import (
    RowCheck,
    RowKey,
    api_error,
    check_rows,
    describe,
    grouping_key,
    page_body,
    retry_after,
    server_clock,
)
from .spool import SpooledRows

logger = logging.getLogger(__name__)

# Compiled once: dlt compiles a string path with a new parser on every page (a tenth of a
# full load's CPU in the extract).
ROWS, TOTAL = compile_path("rows"), compile_path("total")


@dataclass
class QueryResult:
    """All rows of one paged query, with the metadata of its first page."""

    rows: SpooledRows
    column_headers: list[dict[str, Any]]
    server_time: datetime | None  # the API's Date header: the clock updated_at is stamped with
    request: str = ""  # the query's parameters, for error messages
    pages: int = 0  # pages of the attempt that succeeded


class _InconsistentPages(Exception):
    """Pages of one query that cannot all be true at once; the whole query is asked again."""


def _parsed_page_or_retry(response: requests.Response | None, _exc: BaseException | None) -> bool:
    """dlt retry predicate: parse a 200 once, with Decimal numbers; ask again if it is not JSON.

    The parsed page replaces `response.json`, so dlt's paginator and selector read it without
    parsing again and without ever turning a number into a float.
    """
    if response is None or response.status_code != 200:
        return False
    try:
        payload = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        # info, not warning: a page that stays bad fails the run with its own one line
        logger.info("malformed page from %s; asking again", urlsplit(response.url).path)
        return True
    response.json = lambda **_kwargs: payload  # type: ignore[method-assign]  # the parsed page
    return False


class _CountingAdapter(HTTPAdapter):
    """Every attempt passes here (below dlt's retrying send): counted, and let through the
    run's gate (rate limit and 429 pause)."""

    def __init__(self, on_send: Callable[[], None], gate: RequestGate | None) -> None:
        super().__init__()
        self._on_send, self._gate = on_send, gate

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self._gate is None:
            self._on_send()
            return super().send(request, *args, **kwargs)
        sent = self._gate.enter()
        status, wait = None, None
        try:
            self._on_send()
            response = super().send(request, *args, **kwargs)
            status = response.status_code
            wait = retry_after(response) if status == 429 else None
            return response
        finally:
            self._gate.leave(sent, status, wait)


class _CheckedPaginator(OffsetPaginator):
    """dlt's offset paginator, but a page without the documented shape (no integer `total`,
    no `rows` list) fails as a malformed page naming the query, before dlt reads `total`.
    The checked page is kept in `body` for the caller (dlt updates the state, then yields)."""

    def __init__(self, endpoint: str, params: Mapping[str, Any]) -> None:
        super().__init__(limit=PAGE_SIZE, total_path=TOTAL, stop_after_empty_page=False)
        self.endpoint, self.params = endpoint, params
        self.body: dict[str, Any] = {}

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        self.body = page_body(response, self.endpoint, self.params, self.current_value)
        super().update_state(response, data)


class ReportClient:
    """One provider's view of the reports API; counts the HTTP requests it makes.

    Queries may run on several threads at once (`max_parallel` of them, see
    limits.ordered_map); `gate`, shared by every client of a run (one token is one
    caller to TeamUp), keeps all their attempts under the API's rate limit.
    """

    def __init__(
        self,
        base_url: str,
        api_token: str,
        auth_scheme: str = "Token",
        provider_id: int | None = None,
        gate: RequestGate | None = None,
        max_parallel: int = 1,
    ) -> None:
        if not api_token:
            raise ConfigurationError("no API token: set SOURCES__TEAMUP__API_TOKEN")
        if auth_scheme == "Bearer":
            auth: Any = BearerTokenAuth(api_token)
        elif auth_scheme == "Token":
            # TeamUp's own scheme; dlt's APIKeyAuth sends it as a header value.
            auth = APIKeyAuth(name="Authorization", api_key=f"Token {api_token}", location="header")
        else:
            raise ConfigurationError(f"auth_scheme must be Token or Bearer, not {auth_scheme!r}")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"base_url must be an http(s) URL such as https://goteamup.com/api/v2,"
                f" not {base_url!r}"
            )
        headers = {"Accept": "application/json"}
        if provider_id is not None:
            headers["TeamUp-Provider-ID"] = str(provider_id)
        self.host = parts.netloc
        self.max_parallel = max(1, max_parallel)
        self._requests = 0
        self._count_lock = threading.Lock()
        http = Client(raise_for_status=False, retry_condition=_parsed_page_or_retry)
        http.configure()  # retries, backoff and timeout from dlt's [runtime] settings
        session = http.session
        # Our adapter sees every attempt (retries included) below dlt's retrying send. The one
        # session is shared by the worker threads: dlt's retry wrapper copies its state per
        # call, and the adapter's connection pool (10) holds more than max_parallel.
        adapter = _CountingAdapter(self._count, gate)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _read_environment_once(session, base_url)
        self.rest = RESTClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, auth=auth, session=session
        )

    @property
    def requests_made(self) -> int:
        return self._requests

    def _count(self) -> None:
        with self._count_lock:
            self._requests += 1

    def query(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        check: RowCheck | None = None,
        key: RowKey = grouping_key,
    ) -> QueryResult:
        """Every page of a query, checked before anything is handed on: one `total` on every
        page, no row twice (by `key`), as many rows as `total`. Offset paging is exact only
        while the row order holds from page to page: an order that moves (`sort` ignored,
        rows that change between pages) repeats some rows and skips others, as many of each.
        So pages that disagree are asked again whole; still disagreeing after QUERY_ATTEMPTS,
        the query fails (exit 5) rather than hand on a wrong answer (docs/exactness.md).

        check: called on every row as it arrives; a MalformedResponseError it raises fails
        the query, naming it.
        """
        for attempt in range(1, QUERY_ATTEMPTS + 1):
            try:
                return self._query_once(endpoint, params, check, key)
            except _InconsistentPages as problem:
                if attempt == QUERY_ATTEMPTS:
                    raise MalformedResponseError(
                        f"{problem}, in each of {QUERY_ATTEMPTS} attempts",
                        endpoint=endpoint,
                        request=describe(params),
                    ) from None
                logger.info("%s on %s; asking again", problem, endpoint)
        raise AssertionError("unreachable")

    def _query_once(
        self, endpoint: str, params: Mapping[str, Any], check: RowCheck | None, key: RowKey
    ) -> QueryResult:
        paginator = _CheckedPaginator(endpoint, params)
        rows = SpooledRows(ROWS_IN_MEMORY)
        seen: set[Hashable] = set()  # the rows' keys: a few bytes each, not the rows
        total: int | None = None
        headers: list[dict[str, Any]] = []
        server_time = None
        try:
            for page in self.rest.paginate(
                endpoint, params=dict(params), paginator=paginator, data_selector=ROWS
            ):
                body = paginator.body  # checked as the paginator read it
                if total is None:
                    total, headers = body["total"], body.get("column_headers", [])
                    server_time = server_clock(page.response)
                elif body["total"] != total:
                    raise _InconsistentPages(f"total changed from {total} to {body['total']}")
                if not body["rows"] and len(rows) < total:
                    raise _InconsistentPages(f"empty page at offset {len(rows)} of {total}")
                if check is not None:
                    check_rows(check, body["rows"], params)
                _check_distinct(body["rows"], key, seen, len(rows))
                rows.add(body["rows"])
        except requests.HTTPError as error:
            raise api_error(error, endpoint, params) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            logger.debug("connection failure", exc_info=True)
            raise NetworkError(
                f"could not reach {self.host} ({type(error).__name__}) on GET /{endpoint}"
            ) from None
        except ValueError:
            raise MalformedResponseError(
                "the page is not JSON, even after retries",
                endpoint=endpoint,
                request=describe(params, offset=len(rows)),
            ) from None
        if total is not None and len(rows) != total:
            raise _InconsistentPages(f"got {len(rows)} rows, total said {total}")
        return QueryResult(rows, headers, server_time, describe(params), pages(len(rows)))


def _check_distinct(
    page: list[dict[str, Any]], key: RowKey, seen: set[Hashable], offset: int
) -> None:
    """No row of the page is one seen before in this query (or twice on the page)."""
    before = len(seen)
    seen.update(map(key, page))
    if len(seen) - before != len(page):
        raise _InconsistentPages(
            f"the pages repeat rows (at offset {offset}): the row order is not stable from"
            " page to page, so some rows were skipped (TeamUp ignoring `sort`, or rows moving"
            " while the query was paged)"
        )


def _read_environment_once(session: requests.Session, base_url: str) -> None:
    """requests reads the proxy and CA-bundle variables again on every request, scanning all
    of os.environ twice each time: read them once, the way requests does, then stop it
    (netrc, its third use of the environment, never applies: we send our own auth)."""
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    if session.verify is True:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = bundle or True
    session.trust_env = False
