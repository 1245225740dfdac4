"""A query's rows in bounded memory: spilled past the limit, read back exact."""

from __future__ import annotations

from decimal import Decimal

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
