"""The two report endpoints: select invoices, group or list them, sort, page and render."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from .columns import (
    COUNT,
    GROUPED_ALIASES,
    GROUPED_COLUMNS,
    INVOICE_ALIASES,
    INVOICE_COLUMNS,
    Column,
)
from .model import Invoice
from .params import (
    Filters,
    ParamError,
    Query,
    array,
    parse_filters,
    parse_format,
    parse_paging,
)
from .store import ProviderData, Store


@dataclass(frozen=True)
class Report:
    name: str
    path: str
    columns: dict[str, Column]
    aliases: dict[str, str]
    grouped: bool

    def resolve_columns(self, requested: list[str] | None) -> tuple[str, ...]:
        """Canonical keys in request order; `columns` is required for the grouped report only."""
        if requested is None:
            if self.grouped:
                raise ParamError({"columns": ["This field is required."]})
            return tuple(self.columns)
        keys: list[str] = [k for k, c in self.columns.items() if c.required]
        for name in requested:
            key = self.aliases.get(name, name)
            if key not in self.columns and not (self.grouped and key == "count"):
                raise ParamError({"columns": [f'"{name}" is not a valid choice.']})
            if key not in keys:
                keys.append(key)
        return tuple(keys)

    def column(self, key: str) -> Column:
        return COUNT if key == "count" else self.columns[key]

    def csv_keys(self, columns: tuple[str, ...]) -> list[str]:
        """The CSV header: objects spread into dot-notation keys, the same on every page."""
        keys: dict[str, None] = {}
        for key in columns:
            fields = self.column(key).fields
            keys.update(dict.fromkeys([f"{key}.{f}" for f in fields] if fields else [key]))
        return list(keys)


GROUPED = Report(
    "invoices.grouped",
    "/api/v2/reports/invoices.grouped/data",
    GROUPED_COLUMNS,
    GROUPED_ALIASES,
    True,
)
INVOICES = Report(
    "invoices", "/api/v2/reports/invoices/data", INVOICE_COLUMNS, INVOICE_ALIASES, False
)
REPORTS = {report.path: report for report in (GROUPED, INVOICES)}


def parse_query(
    report: Report, params: dict[str, list[str]], store: Store, provider_id: int | None = None
) -> Query:
    """The query of a request; timeframes count in the provider's calendar when it is given."""
    now = store.clock.now()
    if provider_id is not None:
        now = now.astimezone(store.provider_data(provider_id).provider.tz)
    columns = report.resolve_columns(array(params, "columns"))
    sort: list[tuple[str, bool]] = []
    for item in array(params, "sort") or ():
        descending = item.startswith("-")
        name = item[1:] if descending else item  # one "-" only: "--count" is no column
        key = report.aliases.get(name, name)
        if key not in columns or not report.column(key).sortable:
            raise ParamError({"sort": [f'"{item}" is not a sortable column of this request.']})
        if any(key == seen for seen, _ in sort):  # "count,-count": which order would win?
            raise ParamError({"sort": [f'"{item}" sorts on a column already sorted on.']})
        sort.append((key, descending))
    offset, limit = parse_paging(params)
    return Query(
        columns=columns,
        filters=parse_filters(params, now.date()),
        sort=tuple(sort),
        offset=offset,
        limit=limit,
        format=parse_format(params),
    )


def _matches(inv: Invoice, f: Filters, zone: tzinfo = UTC) -> bool:
    if f.status is not None and inv.status != f.status:
        return False
    if f.purchase_types is not None and inv.purchase_type not in f.purchase_types:
        return False
    if f.customers is not None and inv.customer_id not in f.customers:
        return False
    if f.payment_processors is not None and inv.payment_processor_id not in f.payment_processors:
        return False
    if f.customer_memberships is not None and (
        inv.customer_membership_id not in f.customer_memberships
    ):
        return False
    if f.credit_applied is not None and (inv.credit > 0) != f.credit_applied:
        return False
    if f.discount_applied is not None and (inv.discount > 0) != f.discount_applied:
        return False
    if f.id_gt is not None and inv.id <= f.id_gt:
        return False
    if f.paid_on is not None and (
        inv.paid_at is None
        or not f.paid_on[0] <= inv.paid_at.astimezone(zone).date() <= f.paid_on[1]
    ):
        return False
    for field, low, high in f.ranges:
        value = getattr(inv, field)
        if value is None or (low and value < low) or (high and value > high):
            return False
    return True


def _sorted(
    items: list, sort: tuple[tuple[str, bool], ...], value_of: Callable[[Any, str], Any]
) -> list:
    # Stable sorts from the least significant key up give a multi-key order, NULLs last
    # ascending (and so first descending), as Postgres orders them.
    for key, descending in reversed(sort):
        nulls = [item for item in items if value_of(item, key) is None]
        present = [item for item in items if value_of(item, key) is not None]
        present.sort(key=_by(value_of, key), reverse=descending)
        items = nulls + present if descending else present + nulls
    return items


@dataclass
class Breaks:
    """Switches that break an assumption the pipeline makes of TeamUp, one each (all off: the
    sandbox behaves as the pipeline assumes). `teamup-etl probe` should say which is broken;
    the rolling audit should repair what each one lets slip."""

    unstable_ties: bool = False  # rows equal on every sort key come in any order, per request
    sort_ignored: bool = False  # `sort` ignored: each request sees the rows in a new order
    grouped_ignores_id_gt: bool = False  # the grouped report counts every invoice, id_gt or not
    grouped_drops_credit_notes: bool = False  # the grouped report does not count credit notes
    no_date_header: bool = False  # answers carry no Date header (the server's clock)

    def reset(self) -> None:
        for name in vars(self):
            setattr(self, name, False)


class ReportEngine:
    """Answers queries from a small cache keyed by the store's version, so paging is cheap."""

    def __init__(self, store: Store, cache_size: int = 32) -> None:
        self.store = store
        self.breaks = Breaks()
        self._cache: OrderedDict[tuple, list] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def run(
        self, report: Report, provider_id: int, query: Query, shuffle: random.Random | None
    ) -> dict[str, Any]:
        with self.store.lock:
            data = self.store.provider_data(provider_id)
            result = self._result(report, data, query)
            page = result[query.offset : query.offset + query.limit]
            if self.breaks.sort_ignored:
                # `sort` ignored entirely: every request sees the rows in a new order, so
                # offset pages repeat some rows and skip others.
                shuffled = list(result)
                random.shuffle(shuffled)
                page = shuffled[query.offset : query.offset + query.limit]
            elif shuffle is not None and not query.sort:
                # Unstable order: each request sees the result in another order.
                shuffled = list(result)
                shuffle.shuffle(shuffled)
                page = shuffled[query.offset : query.offset + query.limit]
            rows = [self._row(report, data, query.columns, item) for item in page]
        return {"total": len(result), "column_headers": self._headers(report, query), "rows": rows}

    def _result(self, report: Report, data: ProviderData, query: Query) -> list:
        breaks = self.breaks
        key = (
            self.store.version,
            data.provider.id,
            report.name,
            query.columns,
            query.filters,
            query.sort,
            repr(breaks),
        )
        with self._lock:
            if key in self._cache and not breaks.unstable_ties:
                self._cache.move_to_end(key)
                return self._cache[key]
        f = query.filters
        if report.grouped and breaks.grouped_ignores_id_gt:
            f = dataclasses.replace(f, id_gt=None)
        selected = [
            inv
            for inv in self.store.invoices_due_between(data.provider.id, f.due_from, f.due_to)
            if _matches(inv, f, data.provider.tz)
            and not (report.grouped and breaks.grouped_drops_credit_notes and inv.is_credit_note)
        ]
        if breaks.unstable_ties:  # ties keep this order through the stable sorts below
            random.shuffle(selected)
        elif not report.grouped:
            selected.sort(key=lambda inv: inv.id)
        if report.grouped:
            result = self._group(report, data, query, selected)
        else:
            result = _sorted(
                selected, query.sort, lambda inv, k: report.columns[k].extract(inv, data)
            )
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return result

    def _group(self, report: Report, data: ProviderData, query: Query, selected: list) -> list:
        attrs = [key for key in query.columns if key != "count"]
        extractors = [report.columns[key].extract for key in attrs]
        counts = Counter(tuple(extract(inv, data) for extract in extractors) for inv in selected)
        groups = list(counts.items())
        index = {key: n for n, key in enumerate(attrs)}
        return _sorted(
            groups,
            query.sort,
            lambda group, k: group[1] if k == "count" else group[0][index[k]],
        )

    def _row(self, report: Report, data: ProviderData, columns: tuple[str, ...], item) -> dict:
        row: dict[str, Any] = {}
        if report.grouped:
            values, count = item
            attrs = iter(values)
            for key in columns:
                if key == "count":
                    _place(row, key, str(count))  # the docs: count is a string
                else:
                    column = report.columns[key]
                    _place(row, key, column.render(next(attrs), data))
        else:
            for key in columns:
                column = report.columns[key]
                _place(row, key, column.render(column.extract(item, data), data))
        return row

    def _headers(self, report: Report, query: Query) -> list[dict[str, Any]]:
        priority = {key: (n, desc) for n, (key, desc) in enumerate(query.sort)}
        headers = []
        for key in query.columns:
            column = report.column(key)
            header = {
                "label": column.label,
                "key": column.key,
                "sortable": column.sortable,
                "holds_customer_id": column.holds_customer_id,
                "required": column.required,
            }
            if key in priority:
                n, desc = priority[key]
                header["sorted"] = {"order": "desc" if desc else "asc", "priority": n}
            headers.append(header)
        return headers


def _place(row: dict[str, Any], key: str, value: Any) -> None:
    """Put a value at a dot-notation key, merging nested objects (customer.id + customer)."""
    *parents, leaf = key.split(".")
    target = row
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if isinstance(target.get(leaf), dict):
        # An object asked for whole and in parts (discount_code + discount_code.code): merge,
        # and a null object never wipes out the parts ({"name": null, "code": null}).
        if isinstance(value, dict):
            target[leaf].update(value)
        elif value is not None:
            target[leaf] = value
    else:
        target[leaf] = value


def _by(value_of: Callable[[Any, str], Any], key: str) -> Callable[[Any], Any]:
    """A sort key of one column (a closure per key: a loop's lambda would see the last)."""
    return lambda item: value_of(item, key)
