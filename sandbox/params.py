"""Query-string parsing for the report endpoints, as strict as the docs allow."""

# Choices where the scraped docs are vague (the stricter reading each time):
# - unknown parameters are rejected (400), so a misspelt filter never silently returns everything;
# - array parameters accept repeated keys and comma-separated values; scalars may appear once;
# - date-times are RFC 3339 and must carry a zone (Z or an offset); dates are YYYY-MM-DD;
# - limit and page_size are 0..100, offset >= 0, page >= 1; limit/offset and page/page_size
#   cannot be mixed;
# - `sort` may only name columns the request asked for, and only sortable ones.

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .model import PAYMENT_PROCESSORS, PURCHASE_TYPES, STATUSES

MAX_PAGE = 100
DEFAULT_PAGE = 50
TIMEFRAMES = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
)
DATETIME_FILTERS = ("updated_at", "confirmed_at", "paid_at")
ARRAY_PARAMS = frozenset(
    {"columns", "customers", "customer_memberships", "payment_processors", "purchase_types", "sort"}
)
SCALAR_PARAMS = frozenset(
    {f"{name}_{op}" for name in DATETIME_FILTERS for op in ("gte", "lte")}
    | {"due_date_gte", "due_date_lte", "due_date_timeframe", "paid_at_timeframe"}
    | {"status", "credit_applied", "discount_applied", "id_gt", "format"}
    | {"limit", "offset", "page", "page_size"}
)


class ParamError(Exception):
    """A 400: one or more parameters are invalid; `field_errors` names each."""

    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        self.field_errors = field_errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in field_errors.items()))


def _fail(name: str, message: str) -> ParamError:
    return ParamError({name: [message]})


@dataclass(frozen=True)
class Filters:
    """Invoice-level filters, hashable so a query can key the result cache."""

    ranges: tuple[tuple[str, datetime | None, datetime | None], ...] = ()
    # paid_at_timeframe, on the date of paid_at in the provider's zone (as payment_month is)
    paid_on: tuple[date, date] | None = None
    due_from: date | None = None
    due_to: date | None = None
    status: str | None = None
    purchase_types: frozenset[str] | None = None
    customers: frozenset[int] | None = None
    payment_processors: frozenset[int] | None = None
    customer_memberships: frozenset[int] | None = None
    credit_applied: bool | None = None
    discount_applied: bool | None = None
    id_gt: int | None = None


@dataclass(frozen=True)
class Query:
    columns: tuple[str, ...]
    filters: Filters
    sort: tuple[tuple[str, bool], ...]  # (column, descending)
    offset: int
    limit: int
    format: str


def group_params(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Multi-dict of the query string; rejects unknown names and repeated scalars."""
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in ARRAY_PARAMS and name not in SCALAR_PARAMS:
            raise _fail(name, "Unknown query parameter.")
        params.setdefault(name, []).append(value)
    for name, values in params.items():
        if name in SCALAR_PARAMS and len(values) > 1:
            raise _fail(name, "Expected a single value.")
        if any(value.strip() == "" for value in values):
            raise _fail(name, "This field may not be blank.")
    return params


def array(params: dict[str, list[str]], name: str) -> list[str] | None:
    if name not in params:
        return None
    items = [part.strip() for value in params[name] for part in value.split(",")]
    if any(not item for item in items):
        raise _fail(name, "This list may not contain blank items.")
    return items


def _int(name: str, raw: str, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _fail(name, "A valid integer is required.") from None
    if minimum is not None and value < minimum:
        raise _fail(name, f"Ensure this value is greater than or equal to {minimum}.")
    if maximum is not None and value > maximum:
        raise _fail(name, f"Ensure this value is less than or equal to {maximum}.")
    return value


# RFC 3339, what OpenAPI's date-time and date formats mean; Python's fromisoformat alone would
# also take week dates (2024-W31-1), the basic format (20240729T155128Z) and missing seconds.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _datetime(name: str, raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw) if _DATETIME.fullmatch(raw) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _fail(
            name, "Datetime has wrong format. Use ISO 8601 with a zone, e.g. 2024-07-29T15:51:28Z."
        )
    return value


def _date(name: str, raw: str) -> date:
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise _fail(name, "Date has wrong format. Use YYYY-MM-DD.") from None


def _bool(name: str, raw: str) -> bool:
    if raw.lower() not in ("true", "false"):
        raise _fail(name, "Must be a valid boolean: true or false.")
    return raw.lower() == "true"


def _ints(params: dict[str, list[str]], name: str) -> frozenset[int] | None:
    items = array(params, name)
    return None if items is None else frozenset(_int(name, item, minimum=1) for item in items)


def timeframe_dates(name: str, raw: str, today: date) -> tuple[date, date]:
    """Calendar ranges for the *_timeframe parameters (values undocumented; ours listed above)."""
    if raw not in TIMEFRAMES:
        raise _fail(name, f"Must be one of: {', '.join(TIMEFRAMES)}.")
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    year = today.replace(month=1, day=1)
    spans = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1),) * 2,
        "this_week": (week, week + timedelta(days=6)),
        "last_week": (week - timedelta(days=7), week - timedelta(days=1)),
        "this_month": (month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
        "last_month": (previous_month, month - timedelta(days=1)),
        "this_year": (year, year.replace(month=12, day=31)),
        "last_year": (year.replace(year=year.year - 1), year - timedelta(days=1)),
    }
    return spans[raw]


def parse_filters(params: dict[str, list[str]], today: date) -> Filters:
    one = {name: values[0] for name, values in params.items() if name in SCALAR_PARAMS}
    ranges = []
    for field in DATETIME_FILTERS:
        low, high = (one.get(f"{field}_{op}") for op in ("gte", "lte"))
        if low or high:
            ranges.append(
                (
                    field,
                    _datetime(f"{field}_gte", low) if low else None,
                    _datetime(f"{field}_lte", high) if high else None,
                )
            )
    if "paid_at_timeframe" in one:
        paid_on = timeframe_dates("paid_at_timeframe", one["paid_at_timeframe"], today)
    else:
        paid_on = None
    due_from = _date("due_date_gte", one["due_date_gte"]) if "due_date_gte" in one else None
    due_to = _date("due_date_lte", one["due_date_lte"]) if "due_date_lte" in one else None
    if "due_date_timeframe" in one:
        first, last = timeframe_dates("due_date_timeframe", one["due_date_timeframe"], today)
        due_from = max(first, due_from) if due_from else first
        due_to = min(last, due_to) if due_to else last
    status = one.get("status")
    if status is not None and status not in STATUSES:
        raise _fail("status", f'"{status}" is not a valid choice.')
    purchase_types = array(params, "purchase_types")
    for kind in purchase_types or ():
        if kind not in PURCHASE_TYPES:
            raise _fail("purchase_types", f'"{kind}" is not a valid choice.')
    processors = _ints(params, "payment_processors")
    for processor in processors or ():
        if processor not in PAYMENT_PROCESSORS:
            raise _fail("payment_processors", f'Invalid pk "{processor}" - object does not exist.')
    flags: dict[str, Any] = {
        name: _bool(name, one[name]) if name in one else None
        for name in ("credit_applied", "discount_applied")
    }
    return Filters(
        ranges=tuple(ranges),
        paid_on=paid_on,
        due_from=due_from,
        due_to=due_to,
        status=status,
        purchase_types=frozenset(purchase_types) if purchase_types is not None else None,
        customers=_ints(params, "customers"),
        payment_processors=processors,
        customer_memberships=_ints(params, "customer_memberships"),
        id_gt=_int("id_gt", one["id_gt"], minimum=0) if "id_gt" in one else None,
        **flags,
    )


def parse_paging(params: dict[str, list[str]]) -> tuple[int, int]:
    """(offset, limit) from either limit/offset or page/page_size."""
    one = {name: values[0] for name, values in params.items() if name in SCALAR_PARAMS}
    by_offset = {"limit", "offset"} & one.keys()
    by_page = {"page", "page_size"} & one.keys()
    if by_offset and by_page:
        name = sorted(by_page)[0]
        raise _fail(name, "Use either limit/offset or page/page_size, not both.")
    if by_page:
        size = _int("page_size", one.get("page_size", str(DEFAULT_PAGE)), 0, MAX_PAGE)
        page = _int("page", one.get("page", "1"), minimum=1)
        return (page - 1) * size, size
    limit = _int("limit", one.get("limit", str(DEFAULT_PAGE)), 0, MAX_PAGE)
    return _int("offset", one.get("offset", "0"), minimum=0), limit


def parse_format(params: dict[str, list[str]]) -> str:
    value = params.get("format", ["csv"])[0]  # the docs: csv unless json is asked for
    if value not in ("csv", "json"):
        raise _fail("format", f'"{value}" is not a valid choice.')
    return value
