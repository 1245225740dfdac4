"""Bad answers from the API: each ends in a defined way — a clear error naming the endpoint and
the request, or tolerated with nothing lost — and never in a silently wrong warehouse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sources.teamup.exceptions import MalformedResponseError

HTML = "<html><body><h1>Maintenance</h1></body></html>"


def data_pages(info) -> bool:
    """Data pages of the grouped report (the ones carrying purchase_type)."""
    return info.endpoint == "invoices.grouped" and "purchase_type" in info.params.get("columns", [])


def first_data_page(info) -> bool:
    return data_pages(info) and info.params.get("offset") == ["0"]


def second_page(info) -> bool:
    return data_pages(info) and info.params.get("offset") == ["100"]


def edit_first_row(change):
    def tamper(page: dict) -> dict:
        if page["rows"]:
            change(page["rows"][0])
        return page

    return tamper


def served(harness, fault: str) -> list:
    """The requests the sandbox served this fault to (its request log)."""
    return [entry for entry in harness.sandbox.log.requests() if fault in entry.faults]


def assert_fails_cleanly(harness, match: str) -> None:
    before = harness.watermarks()
    with pytest.raises(MalformedResponseError, match=match) as raised:
        harness.load()
    message = str(raised.value)
    assert "GET /reports/" in message and "due_date_gte=" in message  # endpoint and request
    assert harness.watermarks() == before
    assert served(harness, "tampered"), "the bad answer was never served"


# -- a clear error, naming the endpoint and the request ----------------------------------------


def test_an_html_page_with_status_200_is_retried_then_fails(harness):
    harness.sandbox.faults.fail(
        when=data_pages, times=None, status=200, body=HTML, content_type="text/html"
    )
    with pytest.raises(MalformedResponseError, match="not JSON") as raised:
        harness.load()
    assert "GET /reports/invoices.grouped/data" in str(raised.value)
    assert harness.watermarks() == {}
    assert len(served(harness, "failed")) > 1  # retried: each attempt got the HTML


def test_a_row_missing_a_field_fails(harness):
    harness.sandbox.faults.tamper(
        edit_first_row(lambda row: row.pop("status")), when=first_data_page
    )
    assert_fails_cleanly(harness, "`status` is missing")


def test_a_null_customer_loads_as_no_customer(harness):
    """The docs never say a customer is required: a row sold to no one loads, customer_id
    NULL (tests/integration/destinations/test_undocumented.py keeps such rows exact)."""
    harness.sandbox.faults.tamper(
        edit_first_row(lambda row: row.update(customer=None)), when=first_data_page
    )
    harness.load()
    assert [e for e in harness.sandbox.log.requests() if first_data_page(e.info)]  # served
    rows = harness.query("select count(*) from teamup.invoices_grouped where customer_id is null")
    assert rows == [(1,)]


def test_a_bad_row_is_named_by_its_keys_never_by_its_customer(harness):
    """The message goes to the log file and run_history: no customer's name or email."""
    seen = {}

    def break_count(row):
        seen.update(row["customer"])
        row.update(count="n/a")

    harness.sandbox.faults.tamper(edit_first_row(break_count), when=first_data_page)
    with pytest.raises(MalformedResponseError) as raised:
        harness.load()
    message = str(raised.value)
    assert f"customer.id={seen['id']}" in message and "count=n/a" in message
    assert seen["name"] not in message and seen["email"] not in message


def test_a_customer_without_id_is_shown_by_its_keys_only(harness):
    seen = {}

    def drop_id(row):
        seen.update(row["customer"])
        del row["customer"]["id"]

    harness.sandbox.faults.tamper(edit_first_row(drop_id), when=first_data_page)
    with pytest.raises(MalformedResponseError, match="has no id") as raised:
        harness.load()
    assert seen["name"] not in str(raised.value) and seen["email"] not in str(raised.value)


def test_a_non_numeric_count_fails(harness):
    harness.sandbox.faults.tamper(
        edit_first_row(lambda row: row.update(count="n/a")), when=first_data_page
    )
    assert_fails_cleanly(harness, "`count` is not a count")


def test_an_amount_with_fractions_of_a_cent_fails(harness):
    def tenth_of_a_cent(row):
        row["total_amount"]["decimal"] = Decimal("10.005")

    harness.sandbox.faults.tamper(
        edit_first_row(tenth_of_a_cent), when=lambda r: r.endpoint == "invoices"
    )
    assert_fails_cleanly(harness, "fractions of a cent")


def test_pages_that_keep_contradicting_total_fail(harness):
    def grow(page):
        page["total"] += 1
        return page

    harness.sandbox.faults.tamper(grow, when=second_page, times=None)
    assert_fails_cleanly(harness, "total changed")


def test_pages_that_keep_running_dry_fail(harness):
    harness.sandbox.faults.tamper(lambda page: {**page, "rows": []}, when=second_page, times=None)
    assert_fails_cleanly(harness, "empty page")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda page: {k: v for k, v in page.items() if k != "total"}, "no integer `total`"),
        (lambda page: {**page, "total": "many"}, "no integer `total`"),
        (lambda page: {k: v for k, v in page.items() if k != "rows"}, "no `rows` list"),
    ],
    ids=["no-total", "text-total", "no-rows"],
)
def test_a_json_page_without_the_documented_shape_fails_saying_what_is_missing(
    harness, change, match
):
    harness.sandbox.faults.tamper(change, when=first_data_page, times=None)
    assert_fails_cleanly(harness, match)


# -- tolerated, with nothing lost ------------------------------------------------------------


def test_a_new_unknown_column_is_ignored(harness):
    def extra(page):
        for row in page["rows"]:
            row["loyalty_points"] = 7
        return page

    harness.sandbox.faults.tamper(extra, times=None)
    harness.load()
    assert len(served(harness, "tampered")) == harness.sandbox.log.count(status=200)
    harness.sandbox.faults.reset()
    harness.assert_exact()


def test_an_amount_written_as_a_string_is_the_same_amount(harness):
    def as_text(page):
        for row in page["rows"]:
            row["total_amount"]["decimal"] = str(row["total_amount"]["decimal"])
        return page

    harness.sandbox.faults.tamper(as_text, when=lambda r: r.endpoint == "invoices", times=None)
    harness.load()
    assert served(harness, "tampered") == harness.sandbox.log.requests("invoices")
    harness.sandbox.faults.reset()
    harness.assert_exact()


@pytest.mark.parametrize(
    "fault",
    ["total_changes_once", "empty_page_once", "html_once"],
)
def test_a_passing_inconsistency_is_asked_again_and_ends_exact(harness, fault):
    faults = harness.sandbox.faults
    if fault == "total_changes_once":
        faults.tamper(lambda page: {**page, "total": page["total"] + 1}, when=second_page)
    elif fault == "empty_page_once":
        faults.tamper(lambda page: {**page, "rows": []}, when=second_page)
    else:
        faults.fail(when=data_pages, status=200, body=HTML, content_type="text/html")
    harness.load()
    (hit,) = served(harness, "failed" if fault == "html_once" else "tampered")  # it did happen
    again = [
        e
        for e in harness.sandbox.log.requests()
        if e.info.seq > hit.info.seq and e.info.params == hit.info.params and not e.faults
    ]
    assert again, "the request the fault hit was never asked again"
    faults.reset()
    harness.assert_exact()
