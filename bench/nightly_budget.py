"""Requests of a nightly run after 0.5% of a three-year history changed, against a full reload."""

# Run: python -m bench.nightly_budget --invoices 30000 300000
# A night's changes follow how a studio's data moves: most touch invoices due around today
# (payments, failed cards, new and upcoming invoices, refunds of recent ones), a tenth anywhere
# in the history (corrections, deletions, due dates moved). Each size runs in a fresh directory.

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sandbox import Sandbox

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def run_environment(base_url: str, token: str, work: Path) -> dict[str, str]:
    """The settings of a benchmarked run: the sandbox, a fresh warehouse and dlt directory in
    `work`, no telemetry, and no client-side rate limit (the sandbox has none either)."""
    return {
        "SOURCES__TEAMUP__BASE_URL": base_url,
        "SOURCES__TEAMUP__API_TOKEN": token,
        "SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND": "0",
        "DESTINATION__DUCKDB__CREDENTIALS": str(work / "warehouse.duckdb"),
        "DLT_DATA_DIR": str(work / "dlt"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }


CHANGED_SHARE = 0.005
RECENT_SHARE = 0.9


class Night(NamedTuple):
    changed: int  # invoices changed, added or deleted
    deleted: int  # of those, deleted: no window shows them, only the checksum's counts


def change_a_night(sandbox: Sandbox, rng: random.Random) -> Night:
    """Change 0.5% of the invoices, as one night would.

    Nine in ten changes touch invoices due within 45 days of today: payments, failed cards,
    new upcoming invoices, refunds, and deletions or new due dates of unpaid ones. One in ten
    lands anywhere in the history, as voids and late payments: TeamUp voids or refunds old
    invoices, it does not delete them. (A deletion or re-dating in an old month costs that
    month's full refresh: about 1/40 of a full reload each.)
    """
    invoices = sandbox.invoices()
    count = max(1, round(len(invoices) * CHANGED_SHARE))
    today = NOW.date()
    recent = [i for i in invoices if abs((i.due_date - today).days) <= 45]
    customers = [c.id for c in sandbox.customers()]
    gone: set[int] = set()
    for n in range(count):
        pool = recent if n < count * RECENT_SHARE else invoices
        invoice = rng.choice(pool)
        while invoice.id in gone:
            invoice = rng.choice(pool)
        invoice = sandbox.store.invoice(invoice.id)  # as it is now, after earlier changes
        roll = rng.random()
        unpaid = invoice.status != "paid"
        if pool is recent and roll < 0.15:
            due = today + timedelta(days=rng.randrange(1, 30))
            sandbox.add_invoice(rng.choice(customers), 1001, due, "upcoming")
        elif pool is recent and unpaid and roll < 0.25:
            sandbox.delete_invoice(invoice.id)
            gone.add(invoice.id)
        elif pool is recent and unpaid and roll < 0.35:
            sandbox.move_due_date(invoice.id, invoice.due_date + timedelta(days=14))
        elif unpaid:
            sandbox.pay(invoice.id, processor_id=rng.choice((1, 2)))
        elif roll < 0.5 and not invoice.is_credit_note and invoice.refund_date is None:
            sandbox.refund(invoice.id)
        else:
            sandbox.set_status(invoice.id, "voided" if pool is invoices else "failed")
    return Night(count, len(gone))


def measure(size: int) -> dict[str, float]:
    from pipelines import runs

    with tempfile.TemporaryDirectory() as work, Sandbox(seed=7, invoices=size, now=NOW) as sandbox:
        os.chdir(work)
        os.environ.update(run_environment(sandbox.base_url, sandbox.token, Path(work)))
        started = time.monotonic()
        full = runs.load()
        full_seconds = time.monotonic() - started
        sandbox.clock.advance(hours=12)
        runs.load()  # what the first load's lag left for later
        sandbox.clock.advance(hours=12)
        changed, _ = change_a_night(sandbox, random.Random(size))
        sandbox.clock.advance(hours=1)
        started = time.monotonic()
        nightly = runs.load()
        nightly_seconds = time.monotonic() - started
    return {
        "invoices": size,
        "changed": changed,
        "full_requests": full.requests,
        "full_seconds": full_seconds,
        "nightly_requests": nightly.requests,
        "nightly_seconds": nightly_seconds,
        "share": nightly.requests / full.requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, nargs="+", default=[30000, 300000])
    args = parser.parse_args(argv)
    home = os.getcwd()
    header = ("invoices", "changed", "full req", "full s", "night req", "night s", "share")
    print(" ".join(f"{name:>9}" for name in header))
    worst = 0.0
    for size in args.invoices:
        row = measure(size)
        os.chdir(home)
        worst = max(worst, row["share"])
        print(
            f"{row['invoices']:>9} {row['changed']:>9} {row['full_requests']:>9} "
            f"{row['full_seconds']:>9.1f} {row['nightly_requests']:>9} "
            f"{row['nightly_seconds']:>9.1f} {row['share']:>9.1%}",
            flush=True,
        )
    verdict = "met" if worst < 0.03 else "NOT met"
    print(f"budget: nightly under 3% of a full reload's requests: {verdict}")
    return 0 if worst < 0.03 else 1


if __name__ == "__main__":
    sys.exit(main())
