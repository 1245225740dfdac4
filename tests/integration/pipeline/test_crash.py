"""A load killed with SIGKILL at any point, then started again, ends exact with no duplicates."""

# Pending packages: dlt keeps what a killed run extracted or normalized in its working
# directory; the next run loads them first (with the watermark they carry), then plans afresh.

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import runs
from pipelines.failures.errors import BadRequestError

CHILD = Path(__file__).with_name("crash_child.py")
POINTS = [
    "mid-extract",
    "after-extract",
    "mid-normalize",
    "after-normalize",
    "mid-load",
    "after-load",
]


def killed_run(harness, point: str) -> None:
    result = subprocess.run(
        [sys.executable, str(CHILD), point],
        cwd=harness.workdir,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]


def assert_no_duplicates(harness) -> None:
    assert harness.query(
        "select count(*) - count(distinct group_key) from teamup.invoices_grouped"
    ) == [(0,)]
    assert harness.query(
        "select count(*) - count(distinct (provider_id, id)) from teamup.invoices"
    ) == [(0,)]


@pytest.mark.parametrize("point", POINTS)
def test_a_first_load_killed_then_rerun_is_exact(harness, point):
    killed_run(harness, point)
    runs.load()
    assert_no_duplicates(harness)
    harness.assert_exact()


@pytest.mark.parametrize("point", ["after-extract", "mid-load"])
def test_an_incremental_load_killed_then_rerun_is_exact(harness, point):
    harness.load()
    harness.later()
    paid = next(
        i for i in harness.sandbox.invoices() if i.status == "paid" and not i.is_credit_note
    )
    harness.sandbox.refund(paid.id)
    harness.sandbox.delete_invoice(
        next(i for i in harness.sandbox.invoices() if i.status == "open").id
    )
    harness.later()
    killed_run(harness, point)
    runs.load()
    assert_no_duplicates(harness)
    harness.assert_exact()


def test_customers_a_pending_package_leaves_without_invoices_go_though_the_refresh_fails(
    harness,
):
    """The killed night deleted a customer's every invoice; the next run loads its package,
    then TeamUp refuses that run's refresh: the customer is pruned all the same."""
    harness.load()
    harness.later()
    customer = harness.sandbox.invoices()[0].customer_id
    for invoice in harness.sandbox.invoices():
        if invoice.customer_id == customer:
            harness.sandbox.delete_invoice(invoice.id)
    harness.later()
    killed_run(harness, "after-normalize")
    harness.sandbox.faults.fail(times=None, status=400)
    with pytest.raises(BadRequestError):
        runs.load()
    harness.sandbox.faults.reset()
    assert harness.query(f"select count(*) from teamup.customers where id = {customer}") == [(0,)]
    harness.assert_exact()
