"""The probe's checks: one function per assumption, each a few read-only requests."""

from __future__ import annotations

import email.utils
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sources.teamup.api.client import ReportClient
from sources.teamup.settings import DOCUMENTED_PURCHASE_TYPES, DOCUMENTED_STATUSES, PAGE_SIZE

HOLDS, BROKEN, UNKNOWN = "holds", "does not hold", "cannot tell"
GROUPED, INVOICES = "reports/invoices.grouped/data", "reports/invoices/data"
MONTH = ["due_date_year", "due_date_month"]
CLOCK_TOLERANCE = timedelta(seconds=60)
RECENT_MONTHS = 3  # months whose counts the two reports are compared on
STABLE_PAGE = 20  # rows a page of the stable-order check: small, so most accounts have two
# Attributes whose values the probe lists: (column, label, the documented values or None).
VALUE_COLUMNS = (
    ("status", "status", DOCUMENTED_STATUSES),
    ("purchase_type", "purchase type", DOCUMENTED_PURCHASE_TYPES),
    ("payment_processor", "payment processor", None),
    ("purchase_fee_type", "fee type", None),
)


class ProbeApi:
    """One GET at a time through the pipeline's own client (auth, provider header, retries)."""

    def __init__(self, client: ReportClient) -> None:
        self.client = client
        self.last: Any = None

    def get(self, endpoint: str, **params: Any) -> dict[str, Any]:
        params.setdefault("format", "json")
        self.last = self.client.rest.get(endpoint, params=params)
        self.last.raise_for_status()
        body = self.last.json()
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise ValueError("not the documented JSON: no rows")
        return body

    def ids(self, **params: Any) -> list[int]:
        body = self.get(INVOICES, columns=["id"], **params)
        return [row["id"] for row in body["rows"]]


Check = Callable[["ProbeApi", int | None], tuple[str, str, str]]


def token_accepted(api: ProbeApi, scheme: str) -> tuple[str, str, str]:
    api.get(INVOICES, columns=["id"], limit=1)
    return HOLDS, f"the {scheme} scheme is accepted", "loads authenticate this way"


def provider_served(api: ProbeApi, pid: int | None) -> tuple[str, str, str]:
    if pid is None:
        return UNKNOWN, "no provider_id set", "the token's only provider is loaded (as 0)"
    api.get(INVOICES, columns=["id"], limit=1)
    return HOLDS, f"TeamUp-Provider-ID {pid} accepted", "each provider's rows are tagged"


def _json(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    api.get(INVOICES, columns=["id"], limit=1)
    kind = api.last.headers.get("Content-Type", "")
    verdict = HOLDS if "json" in kind else BROKEN
    return verdict, f"Content-Type {kind or 'none'}", "pages are read as JSON, nothing else"


def _count_type(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    body = api.get(GROUPED, columns=[*MONTH, "count"], limit=1)
    values = [row.get("count") for row in body["rows"]]
    ok = isinstance(body.get("total"), int) and all(
        isinstance(v, int) or (isinstance(v, str) and v.isdigit()) for v in values
    )
    shown = f"total {type(body.get('total')).__name__}, count {[type(v).__name__ for v in values]}"
    return (HOLDS if ok else BROKEN), shown, "counts are read as whole numbers"


def _total_stable(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    totals = [
        api.get(INVOICES, columns=["id"], sort=["id"], limit=2, offset=n)["total"] for n in (0, 2)
    ]
    verdict = HOLDS if totals[0] == totals[1] else BROKEN
    return (
        verdict,
        f"total {totals[0]} then {totals[1]}",
        "a query whose total moves is asked again",
    )


def _sort_ties(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    params = {"columns": [*MONTH, "status", "count"], "sort": ["due_date_year"], "limit": 50}
    first, second = (api.get(GROUPED, **params)["rows"] for _ in range(2))
    years = [row.get("due_date_year") for row in first]
    ordered = years == sorted(years, key=lambda y: int(y))
    stable = first == second
    verdict = HOLDS if ordered and stable else BROKEN
    seen = f"sorted {'yes' if ordered else 'no'}, ties in the same order twice {stable}"
    return verdict, seen, "not relied on for exactness: every query sorts on all its columns"


def _pages_stable(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    """The first page twice and the second once, of a query sorted on all its columns: the
    same rows twice, and none of them again on the next page (what a load pages on)."""
    params = {"columns": [*MONTH, "status", "count"], "sort": [*MONTH, "status"]}
    first, again = (api.get(GROUPED, **params, limit=STABLE_PAGE)["rows"] for _ in range(2))
    body = api.get(GROUPED, **params, limit=STABLE_PAGE, offset=STABLE_PAGE)
    if body["total"] <= STABLE_PAGE:
        return UNKNOWN, f"{body['total']} rows: too few for two pages", PAGED_MEANING
    keys = {_grouping(row) for row in first}
    repeated = sum(1 for row in body["rows"] if _grouping(row) in keys)
    same = [_grouping(row) for row in first] == [_grouping(row) for row in again]
    verdict = HOLDS if same and not repeated else BROKEN
    seen = f"page 1 the same twice: {same}; rows of page 1 again on page 2: {repeated}"
    return verdict, seen, PAGED_MEANING


def _grouping(row: dict[str, Any]) -> tuple:
    return tuple(str(row.get(column)) for column in (*MONTH, "status"))


PAGED_MEANING = (
    "a load pages by offset: pages that repeat rows are asked again, then fail the run"
    " (exit 5) rather than load a wrong answer"
)


def _values(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    """The values TeamUp sends for each listed attribute, and invoices without a customer
    (two attributes a query: a page holds every pair an account has)."""
    counts: dict[str, Counter] = {column: Counter() for column, _, _ in VALUE_COLUMNS}
    for pair in (VALUE_COLUMNS[:2], VALUE_COLUMNS[2:]):
        columns = [column for column, _, _ in pair]
        params = {"columns": [*columns, "count"], "sort": columns, "limit": PAGE_SIZE}
        for row in api.get(GROUPED, **params)["rows"]:
            for column in columns:
                counts[column][str(row.get(column))] += int(row.get("count") or 0)
    parts, new = [], []
    for column, label, documented in VALUE_COLUMNS:
        seen = counts[column]
        parts.append(f"{label} " + ", ".join(f"{v} {n}" for v, n in sorted(seen.items())))
        if documented is not None:
            new += [f"{label} {v!r}" for v in sorted(seen) if v not in documented]
    walk_ins = _without_customer(api)
    parts.append(f"invoices without a customer {walk_ins}")
    if walk_ins:
        new.append("invoices without a customer")
    seen_text = "; ".join(parts) + (f" (not in the docs: {', '.join(new)})" if new else "")
    return (BROKEN if new else HOLDS), seen_text, UNFORESEEN_MEANING


def _without_customer(api: ProbeApi) -> int:
    """Invoices whose customer is null: nulls sort first one way and last the other (which
    is the API's choice), so the first row of each direction tells."""
    found = 0
    for sort in ("customer.id", "-customer.id"):
        params = {"columns": ["customer_id", "count"], "sort": [sort], "limit": 1}
        for row in api.get(GROUPED, **params)["rows"]:
            customer = row.get("customer")
            if not isinstance(customer, dict) or customer.get("id") is None:
                found = int(row.get("count") or 0)
    return found


UNFORESEEN_MEANING = (
    "loaded as they come and counted by every view; a run names them in a warning"
    " (docs/operations.md#when-teamup-sends-what-its-docs-dont-describe)"
)


def _page_size(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    body = api.get(INVOICES, columns=["id"], sort=["id"], limit=PAGE_SIZE)
    expected = min(body["total"], PAGE_SIZE)
    verdict = HOLDS if len(body["rows"]) == expected else BROKEN
    seen = f"{len(body['rows'])} rows for limit={PAGE_SIZE} (total {body['total']})"
    return verdict, seen, "pages are asked for by offset, this many at a time"


def _customers_filter(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    rows = api.get(GROUPED, columns=["customer_id", "count"], limit=1)["rows"]
    if not rows:
        return UNKNOWN, "no invoices", "changed customers are fetched with this filter"
    who = rows[0]["customer"]["id"]
    found = api.get(GROUPED, columns=["customer_id", "count"], customers=[who])["rows"]
    ok = bool(found) and all(row["customer"]["id"] == who for row in found)
    seen = f"customers={who} gave {len(found)} rows, all that customer's: {ok}"
    return (HOLDS if ok else BROKEN), seen, "changed customers are fetched with this filter"


def _id_gt(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    top = api.ids(sort=["-id"], limit=1)
    if not top:
        return UNKNOWN, "no invoices", "deleted invoices are searched for by id"
    invoices = api.get(INVOICES, columns=["id"], id_gt=top[0], limit=1)["total"]
    grouped = api.get(GROUPED, columns=[*MONTH, "count"], id_gt=top[0])["rows"]
    ok = invoices == 0 and not grouped
    seen = f"above the highest id: {invoices} invoices, {len(grouped)} grouped rows"
    meaning = "deleted invoices are found by id; if not, their months are re-fetched whole"
    return (HOLDS if ok else BROKEN), seen, meaning


def _updated_at(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    rows = api.get(INVOICES, columns=["id", "updated_at"], sort=["-id"], limit=1)["rows"]
    if not rows:
        return UNKNOWN, "no invoices", "each night reads the changes since the watermark"
    invoice, stamp = rows[0]["id"], datetime.fromisoformat(rows[0]["updated_at"])
    zones = [stamp.astimezone(UTC), stamp.astimezone(UTC).astimezone(_PLUS_FIVE)]
    found = [
        # the newest invoice overall is the newest of those stamped then: one row suffices
        invoice
        in api.ids(
            updated_at_gte=s.isoformat(), updated_at_lte=s.isoformat(), sort=["-id"], limit=1
        )
        for s in zones
    ]
    seen = f"an invoice stamped {stamp.isoformat()} found at both bounds: {found}"
    return (HOLDS if all(found) else BROKEN), seen, "each night reads [watermark, now] inclusive"


def _clock(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    api.get(INVOICES, columns=["id"], limit=1)
    header = api.last.headers.get("Date")
    if not header:
        return BROKEN, "no Date header", "the pipeline would take this machine's clock instead"
    skew = email.utils.parsedate_to_datetime(header) - datetime.now(UTC)
    verdict = HOLDS if abs(skew) <= CLOCK_TOLERANCE else BROKEN
    seen = f"Date header {skew.total_seconds():+.0f}s from this machine's clock"
    return verdict, seen, "the run's window ends at TeamUp's clock, from this header"


def _reports_agree(api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    body = api.get(GROUPED, columns=[*MONTH, "count"], sort=["-due_date_year", "-due_date_month"])
    months = body["rows"][:RECENT_MONTHS]
    differ = []
    for row in months:
        year, month = int(row["due_date_year"]), int(row["due_date_month"])
        first = datetime(year, month, 1).date()
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        listed = api.get(
            INVOICES, columns=["id"], limit=1, due_date_gte=str(first), due_date_lte=str(last)
        )["total"]
        if listed != int(row["count"]):
            differ.append(f"{first:%Y-%m} grouped {row['count']}, listed {listed}")
    seen = "; ".join(differ) or f"the same counts in the {len(months)} latest due months"
    return (BROKEN if differ else HOLDS), seen, "both tables are reconciled per due month"


def _stamps(_api: ProbeApi, _pid: int | None) -> tuple[str, str, str]:
    return (
        UNKNOWN,
        "read-only requests cannot change a customer or an invoice",
        "the rolling audit checks it every night (docs/operations.md#the-rolling-audit)",
    )


_PLUS_FIVE = timezone(timedelta(hours=5))  # the same instant written with another offset

CHECKS: tuple[tuple[str, bool, Check], ...] = (
    ("the provider header", False, provider_served),
    ("format=json honoured", True, _json),
    ("total and count are whole numbers", True, _count_type),
    ("total stable across pages", True, _total_stable),
    ("the row order is stable from page to page", True, _pages_stable),
    ("sort honoured, ties in a stable order", False, _sort_ties),
    ("the page size", True, _page_size),
    ("the customers filter", True, _customers_filter),
    ("id_gt on both reports", False, _id_gt),
    ("updated_at filters inclusive and zone-aware", True, _updated_at),
    ("the Date header is TeamUp's clock", True, _clock),
    ("both reports count the same invoices", True, _reports_agree),
    ("changes stamp updated_at (renames included)", False, _stamps),
    ("values the docs list", False, _values),
)
