"""Paging (limit/offset and page/page_size), `total`, and `sort`."""

from __future__ import annotations

import itertools
from collections import Counter
from functools import cmp_to_key
from typing import Any

import pytest

from sandbox import Sandbox

from .helpers import GROUPED, INVOICES, PROCESSORS, Api, snapshot

GROUPS = {"columns": "status,purchase_type,count"}


def _groups(reader: Sandbox) -> Counter:
    return Counter((inv.status, inv.purchase_type) for inv in snapshot(reader))


def _key(row: dict) -> tuple[str, str]:
    return row["status"], row["purchase_type"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param(GROUPED, {"columns": "customer,status"}, id="grouped"),
        pytest.param(INVOICES, {"columns": "status"}, id="invoices"),
    ],
)
def test_limit_defaults_to_50(api: Api, path: str, params: dict) -> None:
    body = api.data(path, params)
    assert body["total"] > 50
    assert len(body["rows"]) == 50
    assert api.data(path, {**params, "page": 1})["rows"] == body["rows"]  # page_size too


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        pytest.param({"limit": 100}, 100, id="limit-100"),
        pytest.param({"limit": 0}, 0, id="limit-0"),
        pytest.param({"limit": 7, "offset": 3}, 7, id="limit-offset"),
        pytest.param({"page_size": 100}, 100, id="page_size-100"),
        pytest.param({"page_size": 0}, 0, id="page_size-0"),
        pytest.param({"page": 2, "page_size": 9}, 9, id="page-page_size"),
        pytest.param({"offset": 10**6}, 0, id="offset-past-the-end"),
        pytest.param({"page": 10**4}, 0, id="page-past-the-end"),
    ],
)
def test_page_sizes(api: Api, reader: Sandbox, params: dict, rows: int) -> None:
    body = api.data(INVOICES, {**params, "columns": "status"})
    assert len(body["rows"]) == rows
    assert body["total"] == len(snapshot(reader))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 101}, "limit", id="limit-101"),
        pytest.param({"limit": -1}, "limit", id="limit-negative"),
        pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
        pytest.param({"offset": -1}, "offset", id="offset-negative"),
        pytest.param({"offset": "1.5"}, "offset", id="offset-not-an-integer"),
        pytest.param({"page_size": 101}, "page_size", id="page_size-101"),
        pytest.param({"page_size": -1}, "page_size", id="page_size-negative"),
        pytest.param({"page": 0}, "page", id="page-0"),
        pytest.param({"page": "last"}, "page", id="page-not-a-number"),
        pytest.param({"limit": [10, 20]}, "limit", id="limit-twice"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(api: Api, params: dict, field: str) -> None:
    error = api.error(GROUPED, {**GROUPS, **params})
    assert list(error["field_errors"]) == [field]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 10, "page": 2}, id="limit+page"),
        pytest.param({"limit": 10, "page_size": 10}, id="limit+page_size"),
        pytest.param({"offset": 10, "page": 2}, id="offset+page"),
        pytest.param({"offset": 10, "page_size": 10}, id="offset+page_size"),
        pytest.param({"limit": 5, "offset": 5, "page": 1, "page_size": 5}, id="all-four"),
    ],
)
def test_mixing_the_two_pagings_is_a_400(api: Api, params: dict) -> None:
    error = api.error(GROUPED, {**GROUPS, **params})
    assert set(error["field_errors"]) <= {"limit", "offset", "page", "page_size"}
    assert error["field_errors"]


def test_total_is_the_number_of_groups(api: Api, reader: Sandbox) -> None:
    expected = len(_groups(reader))
    for params in ({"limit": 1}, {"limit": 100}, {"offset": 3, "limit": 2}, {"page": 3}):
        assert api.data(GROUPED, {**GROUPS, **params})["total"] == expected


def _walk_by_offset(api: Api, params: dict, size: int) -> list[dict]:
    rows, offset = [], 0
    while True:
        body = api.data(GROUPED, {**params, "limit": size, "offset": offset})
        if not body["rows"]:
            return rows
        rows.extend(body["rows"])
        offset += size


def _walk_by_page(api: Api, params: dict, size: int) -> list[dict]:
    rows, page = [], 1
    while True:
        body = api.data(GROUPED, {**params, "page_size": size, "page": page})
        if not body["rows"]:
            return rows
        rows.extend(body["rows"])
        page += 1


@pytest.mark.parametrize("walk", [_walk_by_offset, _walk_by_page], ids=["offset", "page"])
@pytest.mark.parametrize("size", [1, 7, 100])
@pytest.mark.parametrize("sort", ["-count", "status,purchase_type", "purchase_type,-count"])
def test_walking_all_pages_gives_every_group_once(
    api: Api, reader: Sandbox, walk, size: int, sort: str
) -> None:
    expected = _groups(reader)
    rows = walk(api, {**GROUPS, "sort": sort}, size)
    keys = [_key(row) for row in rows]
    assert len(keys) == len(set(keys)) == len(expected)
    assert {_key(row): int(row["count"]) for row in rows} == expected


def _compare(a: Any, b: Any) -> int:
    """NULLs sort last ascending (and first descending), like Postgres."""
    if a == b:
        return 0
    if a is None or b is None:
        return 1 if a is None else -1
    return -1 if a < b else 1


def assert_sorted(rows: list[dict], order: list[tuple[str, bool]]) -> None:
    def cmp(x: dict, y: dict) -> int:
        for key, descending in order:
            result = _compare(x[key], y[key])
            if result:
                return -result if descending else result
        return 0

    for first, second in itertools.pairwise(rows):
        assert cmp(first, second) <= 0, (first, second)
    assert rows == sorted(rows, key=cmp_to_key(cmp))


def _counts(rows: list[dict]) -> list[dict]:
    return [{**row, "count": int(row["count"])} for row in rows]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        pytest.param("count", [("count", False)], id="count"),
        pytest.param("-count", [("count", True)], id="count-desc"),
        pytest.param("status", [("status", False)], id="status"),
        pytest.param("-payment_processor", [("payment_processor", True)], id="nulls-first-desc"),
        pytest.param("payment_processor", [("payment_processor", False)], id="nulls-last-asc"),
        pytest.param(
            "status,-count", [("status", False), ("count", True)], id="status-then-count-desc"
        ),
        pytest.param(
            "-purchase_type,payment_processor,-count",
            [("purchase_type", True), ("payment_processor", False), ("count", True)],
            id="three-keys",
        ),
    ],
)
def test_sort_orders_all_groups(
    api: Api, reader: Sandbox, sort: str, order: list[tuple[str, bool]]
) -> None:
    columns = "status,purchase_type,payment_processor,count"
    rows = _counts(api.all_rows(GROUPED, {"columns": columns, "sort": sort}))
    assert_sorted(rows, order)
    expected = Counter(
        (inv.status, inv.purchase_type, PROCESSORS.get(inv.payment_processor_id))
        for inv in snapshot(reader)
    )
    assert {
        (r["status"], r["purchase_type"], r["payment_processor"]): r["count"] for r in rows
    } == expected


def test_repeated_sort_keys_equal_a_comma_list(api: Api) -> None:
    params = {**GROUPS, "limit": 100}
    by_list = api.data(GROUPED, {**params, "sort": "purchase_type,-count"})
    repeated = api.data(GROUPED, [*params.items(), ("sort", "purchase_type"), ("sort", "-count")])
    assert by_list == repeated


def test_sort_on_the_invoice_report(api: Api, reader: Sandbox) -> None:
    body = api.data(INVOICES, {"columns": "due_date,status", "sort": "-due_date,id", "limit": 100})
    expected = sorted(snapshot(reader), key=lambda inv: (-inv.due_date.toordinal(), inv.id))
    assert [row["id"] for row in body["rows"]] == [inv.id for inv in expected[:100]]


def test_column_headers_mark_only_the_sorted_columns(api: Api) -> None:
    body = api.data(
        GROUPED, {"columns": "status,purchase_type,count", "sort": "-count,status", "limit": 1}
    )
    headers = {h["key"]: h for h in body["column_headers"]}
    assert headers["count"]["sorted"] == {"order": "desc", "priority": 0}
    assert headers["status"]["sorted"] == {"order": "asc", "priority": 1}
    assert "sorted" not in headers["purchase_type"]
    unsorted = api.data(GROUPED, {**GROUPS, "limit": 1})
    assert not any("sorted" in h for h in unsorted["column_headers"])


def test_sorting_by_an_alias_marks_the_dotted_column(api: Api) -> None:
    body = api.data(GROUPED, {"columns": "customer.id,count", "sort": "-customer_id", "limit": 5})
    [header, _] = body["column_headers"]
    assert header["key"] == "customer.id"
    assert header["sorted"] == {"order": "desc", "priority": 0}
    ids = [row["customer"]["id"] for row in body["rows"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param(GROUPED, {**GROUPS, "sort": "payment_processor"}, id="not-requested"),
        pytest.param(GROUPED, {**GROUPS, "sort": "-due_date_year"}, id="not-requested-desc"),
        pytest.param(GROUPED, {**GROUPS, "sort": "nope"}, id="unknown"),
        pytest.param(GROUPED, {**GROUPS, "sort": "-"}, id="bare-minus"),
        pytest.param(GROUPED, {**GROUPS, "sort": "--count"}, id="double-minus"),
        pytest.param(GROUPED, {**GROUPS, "sort": "count,-count"}, id="same-column-twice"),
        pytest.param(GROUPED, {**GROUPS, "sort": "status,"}, id="blank-item"),
        pytest.param(INVOICES, {"columns": "customer", "sort": "customer"}, id="unsortable"),
        pytest.param(INVOICES, {"columns": "status", "sort": "total_amount"}, id="invoices"),
    ],
)
def test_bad_sort_is_a_400_naming_sort(api: Api, path: str, params: dict) -> None:
    error = api.error(path, params)
    assert list(error["field_errors"]) == ["sort"]
