"""Off the documented path, on both warehouses: what TeamUp may send that its docs don't describe.

Each test serves something the scraped docs do not foresee and expects the warehouse to load it
exactly (checked against the independent oracle of tests/support/expected.py and a fresh full
load) or the run to fail loudly with the warehouse and watermark as they were."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import requests

from pipelines import cli
from sources.teamup.exceptions import MalformedResponseError
from tests.support.expected import Expected, check_marts
from tests.support.targets import DESTINATIONS

STORE_ITEM = 1005  # a store item of provider 1 (sandbox/generate.py)


@pytest.fixture(params=DESTINATIONS)
def destination(request: pytest.FixtureRequest) -> str:
    return request.param


def grouped_counts(harness) -> Counter:
    rows = harness.query(
        "select due_month, status, customer_id, sum(invoice_count) from teamup.invoices_grouped "
        "group by due_month, status, customer_id"
    )
    return Counter({(m, s, c): int(n) for m, s, c, n in rows})


def sandbox_counts(sandbox) -> Counter:
    return Counter(
        (date(i.due_date.year, i.due_date.month, 1), i.status, i.customer_id)
        for i in sandbox.invoices()
    )


def assert_matches_the_sandbox(harness) -> None:
    """Both raw tables and every view equal what the sandbox holds, computed apart."""
    sandbox = harness.sandbox
    assert grouped_counts(harness) == sandbox_counts(sandbox)
    loaded = harness.query("select id, customer_id, status, total_amount from teamup.invoices")
    want = {(i.id, i.customer_id, i.status, i.total) for i in sandbox.invoices()}
    assert set(loaded) == want and len(loaded) == len(want)
    customers = {c for (c,) in harness.query("select id from teamup.customers")}
    assert customers == {i.customer_id for i in sandbox.invoices()} - {None}
    check_marts(harness.target, Expected(sandbox.invoices(), {1: 0}))


def customers_params(sandbox) -> list[list[str]]:
    return [
        e.info.params["customers"] for e in sandbox.log.requests() if "customers" in e.info.params
    ]


def test_invoices_without_a_customer_load_and_stay_exact(make_harness, destination):
    harness = make_harness(destination, invoices=400, audit=True)  # the audit meets them too
    sandbox = harness.sandbox
    walk_ins = [sandbox.add_invoice(None, STORE_ITEM, date(2026, 10, d), "paid") for d in (2, 3)]
    summary = harness.load()
    assert summary.unforeseen[("customer", None)] == 2
    assert_matches_the_sandbox(harness)
    harness.later(60)
    harness.load()
    harness.later()
    sandbox.log.clear()
    # A night of walk-in changes: one deleted, one re-dated, one new, and a customer's invoice
    # handed to no one (each needs its month's customerless partition replaced).
    sandbox.delete_invoice(walk_ins[0].id)
    sandbox.move_due_date(walk_ins[1].id, date(2026, 9, 20))
    sandbox.add_invoice(None, STORE_ITEM, date(2026, 8, 5), "open")
    owned = next(i for i in sandbox.invoices() if i.customer_id and i.status == "open")
    sandbox.change(owned.id, customer_id=None)
    harness.load()
    assert_matches_the_sandbox(harness)
    harness.assert_exact()
    asked = customers_params(sandbox)
    assert all(value.isdigit() for values in asked for value in values), asked


def test_a_walk_in_deleted_without_a_trace_is_found(make_harness, destination):
    """A deletion no window shows, in a customerless partition: the checksum's search must
    end in its month refreshed whole, never in a `customers=` query naming no one."""
    harness = make_harness(destination, invoices=400)
    sandbox = harness.sandbox
    walk_in = sandbox.add_invoice(None, STORE_ITEM, date(2026, 7, 9), "paid")
    harness.settled()
    sandbox.log.clear()
    sandbox.delete_invoice(walk_in.id)
    harness.load()
    assert_matches_the_sandbox(harness)
    harness.assert_exact()
    asked = customers_params(sandbox)
    assert all(value.isdigit() for values in asked for value in values), asked


def test_statuses_and_purchase_types_the_docs_do_not_list_load_and_are_counted(
    make_harness, destination
):
    # Months of more than a page: a cell off the checksum is listed by customer, not
    # refreshed whole at once, so the test meets the `status=` filter it must not send.
    harness = make_harness(destination, invoices=6000)
    sandbox = harness.sandbox
    busiest = Counter(i.due_date.replace(day=1) for i in sandbox.invoices()).most_common(1)[0][0]
    invoices = [i for i in sandbox.invoices() if i.due_date.replace(day=1) == busiest]
    sandbox.change(invoices[0].id, status="written_off")
    sandbox.change(invoices[1].id, status="written_off", purchase_type="appointment")
    summary = harness.load()
    assert summary.unforeseen == Counter(
        {("status", "written_off"): 2, ("purchase type", "appointment"): 1}
    )
    assert_matches_the_sandbox(harness)
    harness.later(60)
    harness.load()
    harness.later()
    sandbox.log.clear()
    # Deleted without a trace from a cell whose status the docs do not list: never asked for
    # with `status=written_off` (it could be refused), its month is refreshed whole instead.
    sandbox.delete_invoice(invoices[0].id)
    sandbox.change(invoices[2].id, status="written_off")
    harness.load()
    assert_matches_the_sandbox(harness)
    harness.assert_exact()
    statuses = {v for e in sandbox.log.requests() for v in e.info.params.get("status", [])}
    assert "written_off" not in statuses


def test_a_run_names_what_is_new_in_one_warning_line(make_harness, capsys):
    harness = make_harness("duckdb", invoices=300)
    sandbox = harness.sandbox
    sandbox.add_invoice(None, STORE_ITEM, date(2026, 10, 2), "paid")
    sandbox.change(sorted(sandbox.invoices(), key=lambda i: i.id)[0].id, status="written_off")
    assert cli.main(["load"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        "teamup-etl: warning: new in TeamUp's data: invoices without a customer (1),"
        " status 'written_off' (1 invoice) (loaded as they come; see docs/operations.md"
        "#when-teamup-sends-what-its-docs-dont-describe)"
    ]


def _with_new_column(payload: dict) -> dict:
    payload["column_headers"].append(
        {"label": "Venue", "key": "venue", "sortable": "sometimes", "required": False}
    )
    for row in payload["rows"]:
        row["venue"] = {"id": 9, "name": "Annex"}
    return payload


def test_a_column_teamup_adds_never_fails_a_load(make_harness, destination):
    harness = make_harness(destination, invoices=300)
    sandbox = harness.sandbox
    is_grouped = lambda info: info.endpoint == "invoices.grouped"  # noqa: E731
    sandbox.faults.tamper(_with_new_column, when=is_grouped, times=None)
    summary = harness.load()
    tampered = [e for e in sandbox.log.requests("invoices.grouped") if e.status == 200]
    assert tampered  # the new column was served
    assert summary.unforeseen == Counter({("column", "venue"): 0})
    assert ("venue",) in harness.query("select key from teamup.report_columns")
    sandbox.faults.reset()
    assert_matches_the_sandbox(harness)


def test_pages_in_a_new_order_on_every_request_fail_loudly_and_change_nothing(
    make_harness, destination
):
    """TeamUp ignoring `sort`: offset pages repeat some rows and skip others. Each query is
    asked again, then the run fails (exit 5) with the warehouse and watermark as they were."""
    harness = make_harness(destination, invoices=1500)
    sandbox = harness.sandbox
    harness.settled()
    before, marks = harness.tables(), harness.watermarks()
    sandbox.set_status(next(i for i in sandbox.invoices() if i.status == "open").id, "failed")
    sandbox.breaks.sort_ignored = True
    sandbox.log.clear()
    with pytest.raises(MalformedResponseError, match="the pages repeat rows") as failure:
        harness.load()
    assert cli.exit_code(failure.value) == 5
    assert "in each of 3 attempts" in str(failure.value)
    # the query that failed was asked three times whole: its first page three times
    failed = failure.value.request
    firsts = [e for e in sandbox.log.requests() if e.info.params.get("offset") == ["0"]]
    assert Counter(_shown(e.info.params) for e in firsts).most_common(1)[0][1] == 3, failed
    assert harness.tables() == before and harness.watermarks() == marks
    sandbox.breaks.sort_ignored = False
    harness.load()
    assert_matches_the_sandbox(harness)
    harness.assert_exact()


def test_a_first_load_from_an_api_that_ignores_sort_loads_nothing(make_harness, destination):
    harness = make_harness(destination, invoices=1500)
    harness.sandbox.breaks.sort_ignored = True
    with pytest.raises(MalformedResponseError, match="the pages repeat rows"):
        harness.load()
    assert harness.watermarks() == {}
    harness.sandbox.breaks.sort_ignored = False
    harness.load()
    assert_matches_the_sandbox(harness)


def test_a_row_that_moves_between_pages_once_is_asked_again_and_loads_exact(
    make_harness, destination, monkeypatch
):
    """Data moving while a query is paged: page 2 of a month's invoices repeats a row of page
    1 (and so skips one). The query is asked again whole, and the load is exact."""
    harness = make_harness(destination, invoices=6000)
    # One request at a time: the request a tamper answers is the log's last.
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", "1")
    sandbox = harness.sandbox
    first_pages: dict[tuple, list] = {}
    served: list[tuple] = []

    def repeat_a_row(payload: dict, query: tuple, offset: str) -> dict:
        if offset == "0":
            first_pages[query] = payload["rows"]
        elif offset == "100" and query in first_pages and not served:
            payload["rows"][0] = first_pages[query][-1]
            served.append(query)
        return payload

    def month_page(info) -> bool:
        return info.endpoint == "invoices" and "due_date_gte" in info.params

    def tamper(payload: dict) -> dict:
        info = sandbox.log.requests("invoices")[-1].info  # the request being answered
        return repeat_a_row(payload, _shown(info.params), info.params["offset"][0])

    sandbox.faults.tamper(tamper, when=month_page, times=None)
    harness.load()
    assert served  # the repeated row was served
    repeated = [e for e in sandbox.log.requests("invoices") if _shown(e.info.params) == served[0]]
    assert len(repeated) >= 3  # page 1, the bad page 2, then asked again from page 1
    sandbox.faults.reset()
    assert_matches_the_sandbox(harness)
    harness.assert_exact()


def _shown(params: dict[str, list[str]]) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in params.items() if k != "offset"))


def test_the_sandbox_serves_a_walk_in_as_a_null_customer(sandbox):
    """The stand-in itself: no customer is `"customer": null` in both reports."""
    walk_in = sandbox.add_invoice(None, STORE_ITEM, date(2026, 10, 2), "paid")
    headers = {"Authorization": f"Token {sandbox.token}"}
    base = {"format": "json", "due_date_gte": "2026-10-02", "due_date_lte": "2026-10-02"}
    grouped = requests.get(
        f"{sandbox.base_url}/reports/invoices.grouped/data",
        params={**base, "columns": ["customer", "count"], "id_gt": walk_in.id - 1},
        headers=headers,
        timeout=10,
    ).json()
    assert grouped["rows"] == [{"customer": None, "count": "1"}]
    listed = requests.get(
        f"{sandbox.base_url}/reports/invoices/data",
        params={**base, "columns": ["id", "customer"], "id_gt": walk_in.id - 1},
        headers=headers,
        timeout=10,
    ).json()
    assert listed["rows"] == [{"id": walk_in.id, "customer": None}]
