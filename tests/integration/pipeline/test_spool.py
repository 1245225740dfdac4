"""Bounded memory: a query's later pages wait on disk, months go on in small batches, exactly."""

from __future__ import annotations

import pytest

import sources.teamup.api.client
import sources.teamup.refresh.streams
from sources.teamup.api.spool import SpooledRows


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
