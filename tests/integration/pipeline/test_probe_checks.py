"""Each exactness-critical check of `teamup-etl probe`, met with an API that breaks it.

tests/integration/pipeline/test_probe.py breaks TeamUp's behaviour through the sandbox's
`breaks`; here each remaining check meets a tampered or failed answer aimed at its own request,
and must say "does not hold" (exit 11, its name on the error line) or "cannot tell"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.pipeline.test_probe import lines
from tests.support.cli import etl


def _params(info) -> dict[str, list[str]]:
    return {k: v for k, v in info.params.items() if k != "format"}


def one_id(info) -> bool:  # the probe's one-row invoice request (auth, json, clock)
    return info.endpoint == "invoices" and _params(info) == {"columns": ["id"], "limit": ["1"]}


def first_count(info) -> bool:
    return info.endpoint == "invoices.grouped" and _params(info) == {
        "columns": ["due_date_year", "due_date_month", "count"],
        "limit": ["1"],
    }


def second_pair(info) -> bool:
    return info.endpoint == "invoices" and info.params.get("offset") == ["2"]


def full_page(info) -> bool:
    return info.endpoint == "invoices" and info.params.get("limit") == ["100"]


def by_customer(info) -> bool:
    return info.endpoint == "invoices.grouped" and "customers" in info.params


def stamped(info) -> bool:
    return info.endpoint == "invoices" and "updated_at_gte" in info.params


def count_as_fraction(payload: dict) -> dict:
    payload["rows"][0]["count"] = "1.5"
    return payload


def total_moved(payload: dict) -> dict:
    payload["total"] += 1
    return payload


def half_a_page(payload: dict) -> dict:
    payload["rows"] = payload["rows"][:50]
    return payload


def another_customer(payload: dict) -> dict:
    payload["rows"].append({"customer": {"id": 999_999_999}, "count": "1"})
    return payload


def nothing_found(payload: dict) -> dict:
    payload["rows"], payload["total"] = [], 0
    return payload


TAMPERED: dict[str, tuple[str, Callable, Callable]] = {
    # check's line -> (what its request is, how the answer is broken)
    "json": ("format=json honoured", one_id, None),  # type: ignore[dict-item]  # served below
    "count": ("total and count are whole numbers", first_count, count_as_fraction),
    "total": ("total stable across pages", second_pair, total_moved),
    "page-size": ("the page size", full_page, half_a_page),
    "customers": ("the customers filter", by_customer, another_customer),
    "updated-at": ("updated_at filters inclusive and zone-aware", stamped, nothing_found),
}


@pytest.fixture
def harness(make_harness):
    return make_harness(now=datetime.now(UTC))


def assert_only_broken(result, name: str) -> None:
    verdicts = lines(result)
    assert [n for n, v in verdicts.items() if v == "does not hold"] == [name], result.stdout
    assert result.returncode == 11
    assert result.stderr.strip().startswith("teamup-etl: error: probe: " + name)


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_each_critical_check_says_does_not_hold_when_its_answer_breaks_it(harness, case):
    name, when, change = TAMPERED[case]
    faults = harness.sandbox.faults
    if case == "json":  # the same JSON, sent as CSV
        body = json.dumps({"total": 1, "column_headers": [], "rows": [{"id": 1}]})
        faults.fail(when=when, times=None, status=200, body=body, content_type="text/csv")
    else:
        faults.tamper(change, when=when, times=None)
    result = etl("probe", cwd=harness.workdir)
    served = [e for e in harness.sandbox.log.requests() if when(e.info)]
    assert served, "the broken answer was never asked for"
    assert_only_broken(result, name)


def test_a_clock_far_from_this_machines_does_not_hold(make_harness):
    harness = make_harness(now=datetime.now(UTC) - timedelta(hours=2))
    result = etl("probe", cwd=harness.workdir)
    assert_only_broken(result, "the Date header is TeamUp's clock")
    line = next(x for x in result.stdout.splitlines() if "Date header" in x)
    # the sandbox's clock stands still at two hours ago: the skew is that, and the seconds
    # since the sandbox started (well under the 300 s a test may take)
    skew = int(line.split("Date header ")[-1].split("s from")[0])
    assert -7200 - 300 <= skew <= -7200


def test_a_check_whose_request_keeps_failing_cannot_tell_and_fails_nothing(harness):
    harness.sandbox.faults.fail(when=full_page, times=None, status=503)
    result = etl("probe", cwd=harness.workdir)
    verdicts = lines(result)
    assert verdicts["the page size"] == "cannot tell", result.stdout
    assert "does not hold" not in verdicts.values()
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "the page size" in x)
    assert "the request failed (503)" in line
