"""The audit's choices: the least recently verified months within a night's budget, and diffs."""

from __future__ import annotations

from datetime import date

from sources.teamup.exactness.audit import choose_months, diff_rows, nightly_budget

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


def test_the_budget_is_a_cycles_share_of_everything_plus_a_handful_under_the_ceiling():
    costs = {JAN: 10, FEB: 20, MAR: 30}  # 60 requests to re-fetch it all
    # the handful is five requests (docs/performance.md: "635 ÷ 30 + 5")
    assert nightly_budget(costs, cycle_nights=30, ceiling=None) == 2 + 5
    assert nightly_budget(costs, cycle_nights=4, ceiling=None) == 15 + 5
    assert nightly_budget(costs, cycle_nights=4, ceiling=12) == 12


def test_never_audited_months_go_first_then_the_oldest_audits():
    costs = {JAN: 1, FEB: 1, MAR: 1, APR: 1}
    audited = {JAN: "2026-11-02T00:00:00+00:00", FEB: "2026-11-01T00:00:00+00:00"}
    assert choose_months(costs, audited, budget=3) == [MAR, APR, FEB]


def test_months_are_taken_in_order_until_the_next_would_pass_the_budget():
    costs = {JAN: 5, FEB: 50, MAR: 1}
    assert choose_months(costs, {}, budget=10) == [JAN]  # MAR waits: FEB is older in turn
    assert choose_months(costs, {}, budget=4) == []


def test_a_diff_names_changed_columns_added_and_gone_rows_and_their_months():
    before = {1: {"id": 1, "status": "paid", "due_month": JAN}, 2: {"id": 2, "due_month": FEB}}
    after = {1: {"id": 1, "status": "open", "due_month": JAN}, 3: {"id": 3, "due_month": MAR}}
    drift = diff_rows("invoices", before, after)
    assert drift.rows == 3
    assert drift.columns == {"status", "__deleted__", "__added__"}
    assert drift.months == {JAN, FEB, MAR}
    assert (
        str(drift)
        == "invoices 3 rows (__added__, __deleted__, status) in 2026-01, 2026-02, 2026-03"
    )


def test_rows_stamped_since_the_night_began_are_not_drift():
    before = {1: {"id": 1, "status": "paid"}}
    after = {1: {"id": 1, "status": "open"}}
    assert diff_rows("invoices", before, after, settled=[1]).rows == 0
    assert diff_rows("invoices", before, before).rows == 0
