"""The rolling audit: a share of the history re-fetched each night, compared, and repaired."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from pipelines import providers
from pipelines.check import check
from pipelines.cli import exit_code
from pipelines.failures.errors import ApiUnavailableError, AuthenticationError, ProvidersFailedError
from tests.support.changes import random_change

CYCLE = 3
# What a night's audit may spend beyond its share of a full reload (docs/performance.md:
# "a 30th of a full reload plus a handful", 635 / 30 + 5).
HANDFUL = 5


@pytest.fixture
def audited(make_harness, monkeypatch):
    """A settled warehouse whose audit covers the history in CYCLE nights."""
    harness = make_harness(invoices=600, audit=True)
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", str(CYCLE))
    harness.sandbox.log.clear()
    harness.load()
    harness.full_requests = harness.sandbox.log.count()  # a full reload's cost, as counted
    harness.later(minutes=60)
    return harness


def audited_months(harness) -> set:
    return {m for (m,) in harness.query("select due_month from teamup.audit_log")}


def loaded_months(harness) -> set:
    return {m for (m,) in harness.query("select distinct due_month from teamup.invoices_grouped")}


def test_with_nothing_broken_the_audit_covers_the_history_in_its_cycle_and_finds_nothing(
    audited,
):
    rng = random.Random(5)
    budget = math.ceil(audited.full_requests / CYCLE) + HANDFUL
    for _night in range(CYCLE):
        for _ in range(4):
            random_change(audited.sandbox, rng)
        audited.later(minutes=600)
        summary = audited.load()
        assert summary.audit_months > 0 and summary.drift == []
        assert summary.audit_requests <= budget  # a CYCLE-th of a full reload, plus a handful
        assert "no drift" in summary.line()
        audited.assert_exact()
    assert audited_months(audited) >= loaded_months(audited)
    assert check().ok


def _nights_until_drift(harness, nights: int = CYCLE):
    for night in range(1, nights + 1):
        harness.later(minutes=600)
        summary = harness.load()
        if summary.drift:
            return night, summary
    pytest.fail(f"the audit found nothing in {nights} nights")


def test_a_change_teamup_did_not_stamp_is_found_repaired_and_failed_in_check(audited):
    paid = next(
        i
        for i in sorted(audited.sandbox.invoices(), key=lambda i: i.id)
        if i.status == "paid" and i.payment_processor_id == 1 and not i.is_credit_note
    )
    # The incremental cannot see it: no stamp, and the checksum's counts stay as they were.
    audited.sandbox.change_without_stamp(paid.id, payment_processor_id=3)
    night, summary = _nights_until_drift(audited)
    assert night <= CYCLE
    (found,) = summary.drift
    assert "invoices " in found and "payment_processor" in found
    assert f"{paid.due_date:%Y-%m}" in found
    audited.assert_exact()  # repaired by the audit's re-fetch
    report = check()
    assert not report.ok
    (failure,) = report.failures
    assert failure.name == "audit" and "payment_processor" in failure.detail


def test_a_rename_teamup_did_not_stamp_reaches_customers_within_the_cycle(audited):
    customer = audited.sandbox.customers()[0]
    audited.sandbox.rename_customer(customer.id, "Unstamped Name", stamp=False)
    _night, summary = _nights_until_drift(audited, CYCLE + 1)
    assert any("customers" in found and "name" in found for found in summary.drift)
    audited.assert_exact()


def when_the_audit_refetches_a_month(sandbox, change):
    """A request predicate that, on the first request reading a due month whole (the audit's
    re-fetch: a quiet night's refresh reads only its window and partitions), moves TeamUp's
    clock on and makes `change(invoice)` to an invoice of that month before it is answered.
    It never matches: no fault is served. The invoices changed are listed on it."""

    def arrived(info) -> bool:
        params = info.params
        whole_month = "due_date_gte" in params and not {"customers", "updated_at_gte"} & set(params)
        if whole_month and not arrived.changed:
            first = date.fromisoformat(params["due_date_gte"][0])
            last = date.fromisoformat(params["due_date_lte"][0])
            invoice = next(
                i
                for i in sorted(sandbox.invoices(), key=lambda i: i.id)
                if first <= i.due_date <= last and i.status == "paid" and not i.is_credit_note
            )
            sandbox.clock.advance(minutes=1)  # the night began a minute ago
            change(invoice)
            arrived.changed.append(invoice)
        return False

    arrived.changed = []
    return arrived


AUDIT_TIME_CHANGES = {
    "status": lambda sandbox: lambda invoice: sandbox.set_status(invoice.id, "failed"),
    "rename": lambda sandbox: (
        lambda invoice: sandbox.rename_customer(invoice.customer_id, "Renamed While Audited")
    ),
}


@pytest.mark.parametrize("kind", sorted(AUDIT_TIME_CHANGES))
def test_an_invoice_teamup_changes_during_the_audit_is_not_drift(audited, kind):
    """TeamUp stamps a change after the night's load began, while the audit re-fetches its
    month: the re-fetch sees it, the warehouse's copy predates it. That is no drift (the
    next night's window has it), and the audit must not call it one."""
    sandbox = audited.sandbox
    hook = when_the_audit_refetches_a_month(sandbox, AUDIT_TIME_CHANGES[kind](sandbox))
    sandbox.faults.fail(when=hook, times=None)
    audited.later(minutes=600)
    sandbox.log.clear()
    night = audited.load()
    (changed,) = hook.changed  # the change was made, during the audit
    sandbox.faults.reset()
    assert night.audit_months > 0 and night.drift == []
    assert "no drift" in night.line()
    assert sandbox.log.requests(status=500) == []
    audited.later(minutes=600)
    assert audited.load().drift == []  # the next night's refresh takes the change
    audited.assert_exact()
    assert check().ok
    if kind == "status":
        ((status,),) = audited.query("select status from teamup.invoices where id = ?", changed.id)
        assert status == "failed"


def test_the_audit_can_be_turned_off(audited, monkeypatch):
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "0")
    audited.sandbox.log.clear()
    summary = audited.load()
    assert summary.audit_months == 0 and "audit" not in summary.line()


def test_without_a_date_header_a_skewed_clock_is_repaired_by_the_audit(audited, monkeypatch):
    """No Date header: the window ends at this machine's clock, here two days ahead of the
    sandbox's, so a stamped rename falls before the watermark; the audit finds and repairs it.
    The machine's clock is stood in for, so the test does not depend on today's date."""
    ahead = lambda: audited.sandbox.clock.now() + timedelta(days=2)  # noqa: E731
    monkeypatch.setattr("sources.teamup.api.pages.machine_clock", ahead)
    audited.sandbox.breaks.no_date_header = True
    audited.load()  # the watermark now follows this machine's clock
    customer = audited.sandbox.customers()[0]
    audited.sandbox.rename_customer(customer.id, "Renamed Behind The Watermark")
    night, summary = _nights_until_drift(audited, CYCLE + 1)
    assert any("customers" in found and "name" in found for found in summary.drift)
    assert not check().ok
    for _ in range(night, CYCLE + 1):  # the rename's other months, each in its turn
        audited.later(minutes=600)
        audited.load()
    audited.assert_exact()


def test_reports_that_disagree_fail_the_reconciliation_not_the_audit(audited):
    audited.sandbox.breaks.grouped_drops_credit_notes = True
    for _night in range(CYCLE):
        audited.later(minutes=600)
        summary = audited.load()
        assert summary.drift == []  # each table is exact to its own report
    assert summary.mismatched_months  # the two reports no longer agree
    failures = {failure.name for failure in check().failures}
    assert failures == {"reconciliation"}


def test_a_nights_rows_and_loads_are_the_refreshs_with_the_audits_load_beside(audited, monkeypatch):
    """rows written counts the refresh alone, as a night without the audit counts it; the
    audit's load is listed with the night's load ids."""
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "0")
    for _ in range(2):  # the first reads back what the fixture's load left in its overlap
        audited.later(minutes=600)
        without = audited.load()
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", str(CYCLE))
    audited.later(minutes=600)
    night = audited.load()  # nothing changed in the sandbox either night
    assert night.audit_months > 0
    assert night.rows_loaded == without.rows_loaded
    (written, load_ids), *_ = audited.query(
        "select rows_written, load_ids from teamup.run_history order by started_at desc"
    )
    assert written == sum(without.rows_loaded.values())
    loaded = {load_id for (load_id,) in audited.query("select load_id from teamup._dlt_loads")}
    assert len(load_ids.split(",")) == 2 and set(load_ids.split(",")) <= loaded


def test_an_audit_that_fails_leaves_its_refresh_committed_and_says_so(audited, monkeypatch):
    """TeamUp fails the audit's requests after the night's refresh committed: the refresh's
    rows, watermark and pruned customers stay, the provider's row says so and the run's own
    says it failed, the run exits as the audit's failure would, check fails on it until the
    next night's audit is recorded."""
    sandbox = audited.sandbox
    # a customer's every invoice deleted: the refresh removes them, and prunes the customer
    customer = sandbox.invoices()[0].customer_id
    for invoice in sandbox.invoices():
        if invoice.customer_id == customer:
            sandbox.delete_invoice(invoice.id)
    audit_provider = providers.audit_provider

    def failing(*args, **kwargs):  # from the audit's first request on, TeamUp answers 503
        sandbox.faults.fail(times=None, status=503)
        return audit_provider(*args, **kwargs)

    monkeypatch.setattr(providers, "audit_provider", failing)
    audited.later(minutes=600)
    with pytest.raises(ProvidersFailedError) as failed:
        audited.load()
    assert str(failed.value).startswith("1 of 1 providers committed; the audit failed: provider")
    assert isinstance(failed.value.failures[0], ApiUnavailableError)
    assert exit_code(failed.value) == 5  # TeamUp unavailable, as docs/operations.md lists
    sandbox.faults.reset()
    audited.assert_exact()  # the refresh committed, the orphaned customer pruned
    ((outcome, written, error, audit_error),) = audited.query(
        "select outcome, rows_written, error, audit_error from teamup.run_history"
        " order by started_at desc limit 1"
    )
    assert (outcome, error) == ("succeeded", None) and written > 0
    assert "503" in audit_error or "unavailable" in audit_error.lower()
    # The run exits non-zero: its own row (no provider's) says it failed, with its line.
    ((own, line),) = audited.query(
        "select outcome, error from teamup.run_history where provider_id is null"
    )
    assert (own, line) == ("failed", str(failed.value))
    assert {f.name for f in check().failures} == {"audit", "last run"}
    audit_log = "select count(*) from information_schema.tables where table_name = 'audit_log'"
    assert audited.query(audit_log) == [(0,)]  # no month recorded as audited
    monkeypatch.setattr(providers, "audit_provider", audit_provider)
    audited.later(minutes=600)
    summary = audited.load()
    assert summary.audit_months > 0 and len(audited_months(audited)) == summary.audit_months
    assert check().ok


def test_an_audit_failure_the_next_provider_would_share_ends_the_run_and_check_says_so(
    make_harness, monkeypatch
):
    """A 401 in provider 1's audit: its refresh stays committed, provider 2 is not run, and
    the run's own row (no provider's) says the run failed, so check's last run fails too."""
    harness = make_harness(providers=2, invoices=600, audit=True)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2")
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", str(CYCLE))
    harness.load()
    audit_provider = providers.audit_provider

    def rejected(*args, **kwargs):  # from the audit's first request on, the token is refused
        harness.sandbox.faults.fail(times=None, status=401)
        return audit_provider(*args, **kwargs)

    monkeypatch.setattr(providers, "audit_provider", rejected)
    harness.later(minutes=600)
    with pytest.raises(AuthenticationError):
        harness.load()
    rows = harness.query(
        "select provider_id, outcome, audit_error is not null from teamup.run_history "
        "where command = 'load' order by started_at desc limit 2"
    )
    expected = [(1, "succeeded", True), (None, "failed", False)]  # no row of provider 2
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert {"last run", "audit"} <= {f.name for f in check().failures}


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_the_audit_reads_the_rows_that_differ_a_batch_at_a_time_never_a_month(
    make_harness, monkeypatch, destination
):
    """Its memory does not grow with a month's size: while the audit keeps and compares its
    months, no read brings more than a batch (2 here) of rows into Python, and all its reads
    together fewer than one month holds; the drift is still found whole (7 rows, 4 batches)."""
    from collections import Counter

    from dlt.destinations.sql_client import DBApiCursorImpl

    from pipelines.audit import snapshot as audit_snapshot

    harness = make_harness(destination, invoices=1200, audit=True)
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "1")  # every month, each night
    harness.load()
    harness.later(minutes=60)
    # the busiest month of the year before: no refresh of tonight's touches it
    today = harness.sandbox.clock.now().date()
    old = [i for i in harness.sandbox.invoices() if 365 <= (today - i.due_date).days < 730]
    month = Counter(i.due_date.replace(day=1) for i in old).most_common(1)[0][0]
    for invoice in [i for i in old if i.due_date.replace(day=1) == month][:7]:
        harness.sandbox.change_without_stamp(invoice.id, number=f"{invoice.number}-unstamped")
    reads: list[int] = []
    watching = [False]

    def watched(method):
        def read(self, *args, **kwargs):
            rows = method(self, *args, **kwargs)
            if watching[0]:
                reads.append(1 if method.__name__ == "fetchone" and rows else len(rows or ()))
            return rows

        return read

    def during(method, watch=True):
        def call(*args, **kwargs):
            was, watching[0] = watching[0], watch
            try:
                return method(*args, **kwargs)
            finally:
                watching[0] = was

        return call

    for name in ("fetchall", "fetchmany", "fetchone"):
        monkeypatch.setattr(DBApiCursorImpl, name, watched(getattr(DBApiCursorImpl, name)))
    snapshot = audit_snapshot.MonthSnapshot
    monkeypatch.setattr(snapshot, "__enter__", during(snapshot.__enter__))
    monkeypatch.setattr(snapshot, "compare", during(snapshot.compare))
    # the list of the schema's tables is not the months' rows
    tables = during(audit_snapshot.existing_tables, watch=False)
    monkeypatch.setattr(audit_snapshot, "existing_tables", tables)
    monkeypatch.setattr(audit_snapshot, "BATCH_ROWS", 2)
    harness.later(minutes=600)
    summary = harness.load()
    (found,) = summary.drift
    assert found == f"provider 0: invoices 7 rows (number) in {month:%Y-%m}"
    ((held,),) = harness.query("select count(*) from teamup.invoices where due_month = ?", month)
    assert reads and max(reads) <= 2
    assert sum(reads) < held
    harness.assert_exact()


def test_walk_ins_are_audited_an_unstamped_change_is_drift_a_stamped_one_is_not(
    make_harness, monkeypatch
):
    """Invoices of no customer (customer_id NULL): an unstamped change is found; one TeamUp
    stamps while the audit runs (its customerless partition, "*") is left out, and loaded."""
    from datetime import date

    harness = make_harness(invoices=600, audit=True)
    monkeypatch.setenv("TEAMUP_ETL__AUDIT_CYCLE_NIGHTS", "1")  # every month, each night
    sandbox = harness.sandbox
    walk_ins = [sandbox.add_invoice(None, 1005, date(2025, 10, d), "paid") for d in (2, 3)]
    harness.settled()
    sandbox.change_without_stamp(walk_ins[0].id, number="WALK-IN-UNSTAMPED")
    audit_provider = providers.audit_provider

    def stamped_meanwhile(*args, **kwargs):  # between the refresh and the audit's re-fetch
        sandbox.clock.advance(minutes=1)
        sandbox.change(walk_ins[1].id, status="voided")  # its grouped row moves too
        return audit_provider(*args, **kwargs)

    monkeypatch.setattr(providers, "audit_provider", stamped_meanwhile)
    harness.later(minutes=600)
    summary = harness.load()
    assert summary.drift == ["provider 0: invoices 1 rows (number) in 2025-10"]
    harness.assert_exact()
