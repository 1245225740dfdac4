"""Bounded memory: a query's later pages wait on disk, months go on in small batches, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

import sources.teamup.api.client
import sources.teamup.refresh.streams
from sources.teamup.api.spool import SpooledRows


def page(first: int, n: int) -> list[dict]:
    """A page as parsed: Decimal amounts."""
    return [{"id": i, "amount": Decimal(f"{i}.10")} for i in range(first, first + n)]


def test_rows_past_the_limit_are_spilled_and_read_back_exact():
    spool = SpooledRows(in_memory=150)
    for first in range(0, 500, 100):
        spool.add(page(first, 100))
    spool.add(page(500, 7))
    expected = [{"id": i, "amount": Decimal(f"{i}.10")} for i in range(507)]
    assert len(spool) == 507 and spool
    assert list(spool) == expected
    assert list(spool) == expected  # read again: the spilled pages are still there
    assert all(isinstance(row["amount"], Decimal) for row in spool)
    batches = list(spool.batches(250))
    assert [len(b) for b in batches] == [200, 200, 107]  # whole pages, about 250 each
    assert [row for batch in batches for row in batch] == expected
    assert spool._file is not None  # it did spill
    spool.close()


def test_an_empty_query_is_one_empty_batch():
    spool = SpooledRows(in_memory=10)
    assert len(spool) == 0 and not spool
    assert list(spool.batches(10)) == [[]]


@pytest.fixture
def tiny_memory(monkeypatch):
    """Queries hold 30 rows; the rest of each month spills, and months go in 30-row batches."""
    for module in (
        sources.teamup.api.client,
        sources.teamup.refresh.streams,
    ):
        monkeypatch.setattr(module, "ROWS_IN_MEMORY", 30)
    spilled = []
    add = SpooledRows.add

    def counting_add(self, rows):
        add(self, rows)
        if self._file is not None:
            spilled.append(len(rows))

    monkeypatch.setattr(SpooledRows, "add", counting_add)
    return spilled


def test_spilled_months_in_small_batches_load_exact(harness, tiny_memory):
    harness.load()
    assert tiny_memory  # pages did go to disk
    harness.later()
    invoices = sorted(harness.sandbox.invoices(), key=lambda i: i.id)
    harness.sandbox.delete_invoice(invoices[100].id)
    harness.sandbox.pay(next(i for i in invoices if i.status == "open").id)
    harness.later()
    harness.load()
    first = min(i.due_date for i in invoices)
    harness.backfill(first, first.replace(year=first.year + 1))
    harness.assert_exact()
