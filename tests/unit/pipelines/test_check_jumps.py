"""`check`'s row-count rule: which change between two runs is a jump, and how it is named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.check import _jump
from pipelines.warehouse.run_history import RunRecord

STARTED = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def run(invoices: int | None) -> RunRecord:
    return RunRecord("r", "load", "succeeded", None, STARTED, invoices_rows=invoices)


@pytest.mark.parametrize(
    ("before", "after", "named"),
    [
        pytest.param(100, 100, None, id="unchanged"),
        pytest.param(None, 100, None, id="no-count-before"),
        pytest.param(100, None, None, id="no-count-now"),
        pytest.param(100, 120, None, id="at-the-bound"),
        pytest.param(100, 80, None, id="at-the-bound-down"),
        pytest.param(100, 121, "invoices went from 100 to 121 rows (+21%)", id="past-the-bound"),
        pytest.param(100, 50, "invoices went from 100 to 50 rows (-50%)", id="halved"),
        pytest.param(10, 0, "invoices went from 10 to 0 rows (-100%)", id="emptied"),
        pytest.param(0, 10, "invoices went from 0 to 10 rows (from empty)", id="from-empty"),
    ],
)
def test_a_change_past_the_bound_is_a_jump_named_with_both_counts(before, after, named):
    assert _jump("invoices", run(after), run(before), max_change=0.2) == named
