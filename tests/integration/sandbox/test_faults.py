"""Fault switches (rate limits, errors, latency, broken bodies, unstable order) and the log."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable

import pytest
import requests

from sandbox import Sandbox

from .helpers import GROUPED, INVOICES, Api, loads

PARAMS = {"columns": "status,purchase_type,count", "format": "json", "limit": 100}


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """Faults do not depend on the data: a smaller sandbox builds faster."""
    return make_sandbox(invoices=400)


def test_rate_limit(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.rate_limit(2)
    statuses, limited = [], None
    for _ in range(6):
        response = fresh_api.get(GROUPED, PARAMS)
        statuses.append(response.status_code)
        if response.status_code == 429:
            limited = response
    # at most two requests in any one second: the first two pass, and some of the rest wait
    assert statuses[:2] == [200, 200]
    assert limited is not None, statuses
    assert int(limited.headers["Retry-After"]) >= 1
    body = loads(limited.text)
    assert set(body) == {"code", "message", "type", "field_errors"}
    assert body["code"] == "throttled"
    sandbox.faults.rate_limit(None)
    assert fresh_api.get(GROUPED, PARAMS).status_code == 200


def test_throttle_the_next_requests(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.throttle(times=2, retry_after=3)
    first, second, third = (fresh_api.get(GROUPED, PARAMS) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == second.headers["Retry-After"] == "3"


def test_throttle_only_matching_requests(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.throttle(times=1, when=lambda info: info.endpoint == "invoices")
    assert fresh_api.get(GROUPED, PARAMS).status_code == 200
    assert fresh_api.get(INVOICES, {"limit": 1}).status_code == 429
    assert fresh_api.get(INVOICES, {"limit": 1}).status_code == 200


def test_error_rate_of_one_fails_everything(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.error_rate = 1.0
    responses = [fresh_api.get(GROUPED, PARAMS) for _ in range(10)]
    assert {r.status_code for r in responses} <= {500, 502, 503}
    assert all(r.headers["Content-Type"].startswith("text/html") for r in responses)
    sandbox.faults.error_rate = 0.0
    assert fresh_api.get(GROUPED, PARAMS).status_code == 200


def test_error_rate_fails_some_requests(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.error_rate = 0.5
    statuses = [fresh_api.get(GROUPED, PARAMS).status_code for _ in range(40)]
    failed = {s for s in statuses if s != 200}
    assert 200 in statuses and failed
    assert failed <= {500, 502, 503}
    assert len(sandbox.log.requests(status=200)) == statuses.count(200)


def test_error_rate_is_deterministic_from_the_seed(make_sandbox) -> None:
    runs = []
    for _ in range(2):
        sandbox = make_sandbox(invoices=100)
        sandbox.faults.error_rate = 0.3
        api = Api(sandbox)
        runs.append([api.get(GROUPED, PARAMS).status_code for _ in range(20)])
    assert runs[0] == runs[1]


def test_latency(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.latency = 0.2
    started = time.monotonic()
    response = fresh_api.get(GROUPED, PARAMS)
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_truncate_one_body(sandbox: Sandbox, fresh_api: Api, fmt: str) -> None:
    params = {**PARAMS, "format": fmt}
    whole = fresh_api.get(GROUPED, params)
    sandbox.faults.truncate()
    cut = fresh_api.get(GROUPED, params)
    again = fresh_api.get(GROUPED, params)
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content)
    assert len(cut.content) == len(whole.content) // 2
    assert whole.content.startswith(cut.content)
    if fmt == "json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut.text)
    else:
        rows = list(csv.reader(io.StringIO(cut.text, newline="")))
        assert len(rows) < len(list(csv.reader(io.StringIO(whole.text, newline=""))))
    assert again.content == whole.content


def test_truncate_a_chosen_page(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.truncate(when=lambda info: info.params.get("page") == ["2"])
    pages = [fresh_api.get(INVOICES, {"format": "json", "page": n}) for n in (1, 2, 2, 3)]
    ok = []
    for response in pages:
        try:
            loads(response.text)
            ok.append(True)
        except json.JSONDecodeError:
            ok.append(False)
    assert ok == [True, False, True, True]


def test_fail_chosen_requests(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.fail(when=lambda info: info.endpoint_seq == 2, status=503)
    statuses = [fresh_api.get(GROUPED, PARAMS).status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 200]


def test_fail_until_reset_with_a_custom_body(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.fail(
        when=lambda info: info.endpoint == "invoices",
        times=None,
        status=502,
        body="<html>Bad Gateway</html>",
        content_type="text/html",
    )
    for _ in range(3):
        response = fresh_api.get(INVOICES, {"limit": 1})
        assert response.status_code == 502
        assert response.text == "<html>Bad Gateway</html>"
        assert response.headers["Content-Type"] == "text/html"
    assert fresh_api.get(GROUPED, PARAMS).status_code == 200
    sandbox.faults.reset()
    assert fresh_api.get(INVOICES, {"limit": 1}).status_code == 200


def test_default_failure_is_a_500_envelope(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.fail()
    response = fresh_api.get(GROUPED, PARAMS)
    assert response.status_code == 500
    assert loads(response.text)["code"] == "server_error"


def test_tamper(sandbox: Sandbox, fresh_api: Api) -> None:
    honest = fresh_api.data(GROUPED, PARAMS)

    def drop_a_row(payload: dict) -> dict:
        return {**payload, "rows": payload["rows"][1:]}

    sandbox.faults.tamper(drop_a_row)
    tampered = fresh_api.data(GROUPED, PARAMS)
    assert tampered["rows"] == honest["rows"][1:]
    assert tampered["total"] == honest["total"]
    assert fresh_api.data(GROUPED, PARAMS) == honest


def test_tamper_chosen_requests_until_reset(sandbox: Sandbox, fresh_api: Api) -> None:
    sandbox.faults.tamper(
        lambda payload: {**payload, "total": 0},
        when=lambda info: info.endpoint == "invoices",
        times=None,
    )
    assert fresh_api.data(INVOICES, {"limit": 1})["total"] == 0
    assert fresh_api.data(INVOICES, {"limit": 1})["total"] == 0
    assert fresh_api.data(GROUPED, PARAMS)["total"] > 0
    sandbox.faults.reset()
    assert fresh_api.data(INVOICES, {"limit": 1})["total"] == len(sandbox.invoices())


@pytest.mark.parametrize(
    ("path", "params", "sort"),
    [
        pytest.param(GROUPED, {"columns": "status,purchase_type,count"}, "-count", id="grouped"),
        pytest.param(INVOICES, {"columns": "status", "limit": 100}, "id", id="invoices"),
    ],
)
def test_unstable_order_without_sort(
    sandbox: Sandbox, fresh_api: Api, path: str, params: dict, sort: str
) -> None:
    params = {"limit": 100, **params}
    stable = [fresh_api.data(path, params)["rows"] for _ in range(2)]
    assert stable[0] == stable[1]  # switched off: the same order every time
    sandbox.faults.unstable_order = True
    first, second = (fresh_api.data(path, params)["rows"] for _ in range(2))
    assert first != second
    if path == GROUPED:  # every group fits on the page: the same rows, in another order
        assert sorted(map(json.dumps, first)) == sorted(map(json.dumps, second))
    ordered = [fresh_api.data(path, {**params, "sort": sort})["rows"] for _ in range(2)]
    assert ordered[0] == ordered[1]


def test_unstable_order_breaks_unsorted_paging(sandbox: Sandbox, fresh_api: Api) -> None:
    """Why a client must sort: without it pages overlap and rows go missing."""
    sandbox.faults.unstable_order = True
    unsorted = fresh_api.all_rows(INVOICES, {"columns": "id"})
    assert len(unsorted) == len(sandbox.invoices())
    assert len({row["id"] for row in unsorted}) < len(unsorted)
    walked = fresh_api.all_rows(INVOICES, {"columns": "id", "sort": "-id"})
    assert [row["id"] for row in walked] == sorted((i.id for i in sandbox.invoices()), reverse=True)


def test_request_log(sandbox: Sandbox, fresh_api: Api) -> None:
    fresh_api.get(GROUPED, [("columns", "status"), ("columns", "count"), ("format", "json")])
    fresh_api.get(GROUPED, {"columns": "nope"})
    fresh_api.get(INVOICES, {"limit": 3, "status": "paid"})
    fresh_api.get("/customers")
    assert sandbox.log.count() == 4
    assert sandbox.log.count("invoices.grouped") == 2
    assert sandbox.log.count("invoices") == 1
    assert sandbox.log.count("invoices.grouped", status=400) == 1
    first, second = sandbox.log.requests("invoices.grouped")
    assert first.info.params == {"columns": ["status", "count"], "format": ["json"]}
    assert (first.status, second.status) == (200, 400)
    assert (first.info.seq, second.info.seq) == (1, 2)
    assert (first.info.endpoint_seq, second.info.endpoint_seq) == (1, 2)
    [invoices] = sandbox.log.requests("invoices")
    assert invoices.info.params == {"limit": ["3"], "status": ["paid"]}
    assert invoices.info.endpoint_seq == 1 and invoices.info.seq == 3
    sandbox.log.clear()
    assert sandbox.log.count() == 0


def test_request_log_never_records_the_token(make_sandbox) -> None:
    sandbox = make_sandbox(providers=2, tokens={"s3cr3t-t0ken-value": [1, 2]})
    api = Api(sandbox, **{"TeamUp-Provider-ID": "2"})
    api.get(GROUPED, PARAMS)
    Api(sandbox, token="s3cr3t-t0ken-value").get(GROUPED, PARAMS)  # no provider: a 400
    assert [e.status for e in sandbox.log.entries] == [200, 400]
    assert [e.info.provider_id for e in sandbox.log.entries] == ["2", None]
    dump = repr(sandbox.log.entries) + repr([vars(e.info) for e in sandbox.log.entries])
    assert "s3cr3t" not in dump
    assert "Authorization" not in dump


def test_request_log_keeps_the_auth_scheme_and_never_the_token(make_sandbox) -> None:
    sandbox = make_sandbox(invoices=50, tokens={"s3cr3t-t0ken-value": [1]})
    token = "s3cr3t-t0ken-value"
    for header in (f"Token {token}", f"Bearer {token}", token, f"Basic {token}", None):
        headers = {"Authorization": header} if header else {}
        requests.get(sandbox.base_url + GROUPED, params=PARAMS, headers=headers, timeout=10)
    entries = sandbox.log.entries
    assert [e.auth_scheme for e in entries] == ["Token", "Bearer", "other", "other", None]
    assert [e.status for e in entries] == [200, 200, 401, 401, 401]
    assert "s3cr3t" not in repr(entries)


def test_request_log_names_the_faults_served(sandbox: Sandbox, fresh_api: Api) -> None:
    faults = sandbox.faults
    faults.throttle(times=1)
    faults.fail(times=1, when=lambda info: info.seq == 2)
    faults.tamper(lambda page: page, when=lambda info: info.seq == 3)
    faults.truncate(when=lambda info: info.seq == 3)
    faults.unstable_order = True
    for _ in range(3):
        fresh_api.get(GROUPED, PARAMS)
    fresh_api.get(GROUPED, {**PARAMS, "sort": "status"})  # sorted: nothing to shuffle
    served = [(e.status, e.faults) for e in sandbox.log.entries]
    assert served == [
        (429, ["throttled"]),
        (500, ["failed"]),
        (200, ["shuffled", "tampered", "truncated"]),
        (200, []),
    ]


def test_faults_are_off_by_default_and_reset(sandbox: Sandbox, fresh_api: Api) -> None:
    faults = sandbox.faults
    assert (faults.latency, faults.error_rate, faults.unstable_order) == (0.0, 0.0, False)
    faults.latency, faults.error_rate, faults.unstable_order = 0.01, 1.0, True
    faults.rate_limit(1)
    faults.throttle(times=5)
    faults.truncate(times=5)
    faults.reset()
    assert (faults.latency, faults.error_rate, faults.unstable_order) == (0.0, 0.0, False)
    for _ in range(3):
        assert loads(fresh_api.get(GROUPED, PARAMS).text)["total"] > 0
