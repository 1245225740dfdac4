"""What a report endpoint answered: a page checked, an HTTP error named, the API's clock."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests

from ..exceptions import (
    ApiError,
    ApiUnavailableError,
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
)

RowCheck = Callable[[Mapping[str, Any]], None]
# What identifies a row within one query's answer: no two rows of a true answer share it.
RowKey = Callable[[Mapping[str, Any]], Hashable]


def grouping_key(row: Mapping[str, Any]) -> Hashable:
    """A grouped row's identity: every value but its `count` (a group is its grouping),
    nested objects as tuples (half the time of encoding the row as JSON, on every row)."""
    return hash(tuple((k, _frozen(v)) for k, v in row.items() if k != "count"))


def _frozen(value: Any) -> Hashable:
    if type(value) is dict:
        return tuple((k, _frozen(v)) for k, v in value.items())
    if type(value) is list:
        return tuple(map(_frozen, value))
    return value  # parsed JSON: a str, number, bool or None


def id_key(row: Mapping[str, Any]) -> Hashable:
    """An invoice-level row's identity: its `id` (a row without one is its own: the record
    check names it as having no id, which says more than a repeated row would)."""
    found = row.get("id")
    return id(row) if found is None else found


def check_rows(check: RowCheck, rows: list[dict[str, Any]], params: Mapping[str, Any]) -> None:
    try:
        for row in rows:
            check(row)
    except MalformedResponseError as error:
        raise error.at(describe(params)) from None


def describe(params: Mapping[str, Any], **extra: Any) -> str:
    """A request's parameters as a short query string, for error messages (nothing secret).

    What tells requests apart (paging, filters) comes first; the long column lists last."""
    long_lists = ("columns", "sort")
    ordered = {**extra, **{k: v for k, v in params.items() if k not in long_lists}}
    ordered.update({k: params[k] for k in long_lists if k in params})
    shown = {
        k: ",".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in ordered.items()
    }
    text = urlencode(shown, safe=",:")
    return text if len(text) <= 300 else text[:297] + "..."


def page_body(
    response: requests.Response, endpoint: str, params: Mapping[str, Any], offset: int
) -> dict[str, Any]:
    body = response.json()
    problem = None
    if not isinstance(body, dict):
        problem = "the page is not a JSON object"
    elif not isinstance(body.get("total"), int) or isinstance(body.get("total"), bool):
        problem = "the page has no integer `total`"
    elif not isinstance(body.get("rows"), list):
        problem = "the page has no `rows` list"
    elif not isinstance(body.get("column_headers", []), list):
        problem = "the page's `column_headers` is not a list"
    if problem:
        raise MalformedResponseError(
            problem, endpoint=endpoint, request=describe(params, offset=offset)
        )
    return body


def retry_after(response: requests.Response) -> float | None:
    """Seconds a 429 asks us to wait: Retry-After as seconds or as an HTTP date (measured
    against the answer's own Date, else our clock); None when it has neither."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        until = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = server_clock(response) or machine_clock()
    return max(0.0, (until - now).total_seconds())


def machine_clock() -> datetime:
    """This machine's clock: what a run falls back to when an answer has no Date header.
    Callers look it up here at each call, so a test can put a skewed clock in its place."""
    return datetime.now(UTC)


def server_clock(response: requests.Response) -> datetime | None:
    try:
        return parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None


def api_error(error: requests.HTTPError, endpoint: str, params: Mapping[str, Any]) -> ApiError:
    response = error.response
    status = response.status_code if response is not None else None
    try:
        envelope = response.json() if response is not None else {}
    except ValueError:
        envelope = {}
    if not isinstance(envelope, dict):
        envelope = {}
    message = str(envelope.get("message") or (response.reason if response is not None else ""))
    request = describe(params)
    if status in (401, 403):
        what = "TeamUp rejected the API token" if status == 401 else "TeamUp refused access"
        return AuthenticationError(
            f"{what} ({status}: {message})", endpoint=endpoint, request=request, status=status
        )
    if status == 400:
        fields = envelope.get("field_errors") or {}
        detail = "; ".join(
            f"{name}: {' '.join(map(str, errs)) if isinstance(errs, list) else errs}"
            for name, errs in fields.items()
        )
        return BadRequestError(
            f"TeamUp refused a parameter (400: {detail or message})",
            endpoint=endpoint,
            request=request,
            status=status,
        )
    if status == 429 or (status or 0) >= 500:
        return ApiUnavailableError(
            f"TeamUp kept failing ({status}: {message}) after every retry",
            endpoint=endpoint,
            request=request,
            status=status,
        )
    return ApiError(
        f"TeamUp answered {status}: {message}", endpoint=endpoint, request=request, status=status
    )


def row_reference(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    """A bad row named by a few of its keys, never whole: its customer's name and email would
    end up in the log file and run_history."""
    shown = []
    for key in keys:
        value: Any = row
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            shown.append(f"{key}={value}")
    return "{" + ", ".join(shown) + "}"
