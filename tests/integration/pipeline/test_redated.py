"""An invoice re-dated into another month is upserted there, not deleted with its old partition."""

from __future__ import annotations

import gzip
import json
import os
from datetime import timedelta
from pathlib import Path

from pipelines import runs


def last_invoice_rows() -> list[dict]:
    """The invoices rows of the last load package, as dlt wrote them for the loader.

    Checked directly: a tombstone and a record of one id in one load is a bug whatever
    dlt's dedup happens to keep (it picks either, by scan order).
    """
    loaded = Path(os.environ["DLT_DATA_DIR"], "pipelines", runs.PIPELINE_NAME, "load", "loaded")
    package = max(loaded.iterdir(), key=lambda path: path.name)
    rows = []
    for job in (package / "completed_jobs").glob("invoices.*"):
        raw = job.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        rows += [json.loads(line) for line in text.splitlines() if line.strip().startswith(b"{")]
    return rows


def assert_no_tombstone_beside_a_record() -> None:
    rows = last_invoice_rows()
    deleted = {row["id"] for row in rows if row.get("is_deleted")}
    upserted = {row["id"] for row in rows if not row.get("is_deleted")}
    assert rows and not deleted & upserted


def move_a_late_invoice_and_load(harness, status: str):
    """Move the first invoice of `status` due on the 20th or later two weeks on, into the
    next month, and run the night after; returns the invoice as it was."""
    moved = next(
        i
        for i in sorted(harness.sandbox.invoices(), key=lambda i: i.id)
        if i.status == status and i.due_date.day >= 20
    )
    harness.sandbox.move_due_date(moved.id, moved.due_date + timedelta(days=14))
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    return moved


def test_an_invoice_moved_to_the_next_month_stays_loaded(make_harness):
    harness = make_harness(invoices=8000)
    harness.settled()
    # An unpaid invoice late in a busy month, moved two weeks on: its old partition lost it,
    # which only the checksum shows, and its new month has it in the updated_at window.
    moved = move_a_late_invoice_and_load(harness, "upcoming")
    # the old partition was found, not its month re-fetched
    assert harness.invoice_month_refetches() == []
    assert_no_tombstone_beside_a_record()
    loaded = harness.query("select due_date from teamup.invoices where id = ?", moved.id)
    assert loaded == [(moved.due_date + timedelta(days=14),)]
    harness.assert_exact()


def test_an_invoice_moved_out_of_a_month_refreshed_whole_stays_loaded(harness):
    """Its old month, a small one, loses another invoice too, so the month is re-fetched
    whole: the moved invoice is missing there, and must not be deleted beside its upsert."""
    harness.load()
    harness.later()
    invoices = sorted(harness.sandbox.invoices(), key=lambda i: (i.due_date, i.id))
    month = invoices[0].due_date.replace(day=1)  # the oldest month: a handful of invoices
    moved, other = [i for i in invoices if i.due_date.replace(day=1) == month][:2]
    harness.sandbox.move_due_date(moved.id, moved.due_date + timedelta(days=40))
    harness.sandbox.delete_invoice(other.id)
    harness.later()
    harness.load()
    assert_no_tombstone_beside_a_record()
    loaded = harness.query("select due_date from teamup.invoices where id = ?", moved.id)
    assert loaded == [(moved.due_date + timedelta(days=40),)]
    harness.assert_exact()


def test_a_deletion_beside_a_change_in_one_partition_is_found_by_its_ids(make_harness):
    """The change brings the partition into the run, so the grouped side just replaces it;
    the invoice-level side sees its invoices no longer add up and checks its ids, rather
    than fetching the whole month again."""
    harness = make_harness(invoices=8000)
    harness.settled()
    by_partition: dict = {}
    for invoice in sorted(harness.sandbox.invoices(), key=lambda i: i.id):
        if invoice.status in ("open", "upcoming"):
            key = (invoice.customer_id, invoice.due_date.replace(day=1))
            by_partition.setdefault(key, []).append(invoice)
    paid, deleted = next(pair for pair in by_partition.values() if len(pair) >= 2)[:2]
    harness.sandbox.pay(paid.id)
    harness.sandbox.delete_invoice(deleted.id)
    harness.later()
    harness.sandbox.log.clear()
    harness.load()
    assert harness.invoice_month_refetches() == []
    assert harness.query("select count(*) from teamup.invoices where id = ?", deleted.id) == [(0,)]
    harness.assert_exact()


def test_the_partition_a_re_dated_invoice_left_is_known_without_listing_customers(make_harness):
    """The invoice-level window says where the invoice was: its old partition is replaced
    with the new one, and no (month, status) listing has to look for it."""
    harness = make_harness(invoices=8000)
    harness.settled()
    move_a_late_invoice_and_load(harness, "open")
    looked_for = [
        e
        for e in harness.sandbox.log.requests("invoices.grouped")
        if "status" in e.info.params or "id_gt" in e.info.params
    ]
    assert looked_for == []  # neither listed nor bisected: the window said where it was
    assert_no_tombstone_beside_a_record()
    harness.assert_exact()
