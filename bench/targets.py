"""`make bench`'s printed table: each figure beside its baseline and target, PASS or MISS."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from pipelines.settings import EtlSettings
from sources.teamup.exactness.audit import HANDFUL

from .settings import RATE_LIMIT, TEAMUP_PER_MINUTE

Row = Callable[..., None]  # Table.row with a shape's invoices and customers given


class Table:
    """Rows of the printed table; remembers whether every target passed."""

    COLUMNS = (
        "invoices",
        "customers",
        "figure",
        "pipeline",
        "baseline",
        "ratio",
        "target",
        "result",
    )
    WIDTHS = (9, 9, 42, 10, 18, 7, 10, 6)
    FIGURE = 2  # the one column aligned left

    def __init__(self) -> None:
        self.missed = 0
        self.line(*self.COLUMNS)
        self.line(*("-" * width for width in self.WIDTHS))

    def line(self, *cells: Any) -> None:
        text = [
            f"{cell:<{width}}" if i == self.FIGURE else f"{cell:>{width}}"
            for i, (cell, width) in enumerate(zip(cells, self.WIDTHS, strict=True))
        ]
        print(" ".join(text).rstrip(), flush=True)

    def row(
        self,
        size: str,
        customers: str,
        figure: str,
        ours: str,
        theirs: str = "",
        ratio: str = "",
        target: str = "",
        passed: bool | None = None,
    ) -> None:
        result = "" if passed is None else "PASS" if passed else "MISS"
        self.missed += passed is False
        self.line(size, customers, figure, ours, theirs, ratio, target, result)


# Every run the bench makes, (figure key, label), each one's peak RSS against MEMORY_MB. The
# catch-up load takes what the full load's lag left, before the night's changes.
RUNS = (
    ("full", "full load"),
    ("catch_up", "catch-up load"),
    ("night", "nightly, audit included"),
    ("rerun", "no-change rerun, audit"),
    ("rerun_no_audit", "no-change rerun, no audit"),
    ("latency", "latency-bound backfill"),
    ("teamup", "backfill at TeamUp's limit"),
    ("pg_full", "postgres full load"),
    ("pg_night", "postgres nightly"),
    ("pg_rerun", "postgres rerun, audit"),
    ("pg_rerun_no_audit", "postgres rerun, no audit"),
)
MEMORY_MB = 300


def report(table: Table, f: dict[str, Any]) -> None:
    size = f"{f['invoices']:,}"
    row = functools.partial(table.row, size, f"{f['customers']:,}")
    _full_load_rows(row, f)
    _nightly_rows(row, f)
    _rerun_rows(row, f)
    if "latency" in f:
        _latency_rows(row, f)
    if "pg_full" in f:
        _postgres_rows(row, f)
    _memory_rows(row, f)


def _memory_rows(row: Row, f: dict[str, Any]) -> None:
    """Every run's peak RSS: the full load's beside the raw baseline's, PostgreSQL's beside
    DuckDB's (teamup-etl's own: the server's memory is the server's)."""
    for key, label in RUNS:
        if key not in f:
            continue
        rss = f[key].rss_mb
        if key == "full":
            beside = f"{f['raw'].rss_mb:.0f} (raw)"
        elif key.startswith("pg_"):
            beside = f"{f[key.removeprefix('pg_')].rss_mb:.0f} (duckdb)"
        else:
            beside = ""
        row(f"peak RSS (MB): {label}", f"{rss:.0f}", beside, "", f"< {MEMORY_MB}", rss < MEMORY_MB)


def _rerun_rows(row: Row, f: dict[str, Any]) -> None:
    rerun, without = f["rerun"], f["rerun_no_audit"]
    row("no-change rerun, audit included: requests", f"{f['rerun_requests']:,}")
    row(
        "no-change rerun: wall (s), audit / no audit",
        f"{rerun.seconds:.1f}",
        f"{without.seconds:.1f}",
    )


def _postgres_rows(row: Row, f: dict[str, Any]) -> None:
    """PostgreSQL beside DuckDB: the same requests (the warehouse does not change what is
    asked) and the wall time (the peak RSS is with every run's, in _memory_rows)."""
    for run, label in (("full", "full load"), ("night", "nightly")):
        pg, duck = f[f"pg_{run}"], f[run]
        requests, duck_requests = f[f"pg_{run}_requests"], f[f"{run}_requests"]
        row(
            f"postgres {label}: requests",
            f"{requests:,}",
            f"{duck_requests:,} (duckdb)",
            "",
            "= duckdb",
            requests == duck_requests,
        )
        ratio = pg.seconds / duck.seconds
        row(
            f"postgres {label}: wall time (s)",
            f"{pg.seconds:.1f}",
            f"{duck.seconds:.1f} (duckdb)",
            f"{ratio:.2f}x",
        )


def _full_load_rows(row: Row, f: dict[str, Any]) -> None:
    full, raw = f["full"], f["raw"]
    ratio = full.seconds / raw.seconds
    row(
        "full load: wall time (s)",
        f"{full.seconds:.1f}",
        f"{raw.seconds:.1f}",
        f"{ratio:.2f}x",
        "<= 1.5x",
        ratio <= 1.5,
    )
    row(
        "full load: rows per second",
        f"{f['rows'] / full.seconds:,.0f}",
        f"{f['rows'] / raw.seconds:,.0f}",
    )
    row("full load: requests", f"{f['full_requests']:,}", f"{f['full_requests']:,}")


def _nightly_rows(row: Row, f: dict[str, Any]) -> None:
    full = f["full"]
    audit = f["audit_requests"]
    refresh = f["night_requests"] - audit  # the incremental refresh, without the audit
    share = refresh / f["full_requests"]
    row(
        f"nightly ({f['changed']} changed): requests",
        f"{refresh:,}",
        f"{f['full_requests']:,} (full)",
        f"{share:.1%}",
        "< 3%",
        share < 0.03,
    )
    search = f["night_search"]
    row(
        f"nightly: finding {f['deleted']} deleted",
        f"{search:,}",
        f"{f['full_requests']:,} (full)",
        f"{search / f['full_requests']:.1%}",
    )
    rest = refresh - search
    row(
        "nightly: all but finding deleted",
        f"{rest:,}",
        f"{f['full_requests']:,} (full)",
        f"{rest / f['full_requests']:.1%}",
    )
    # The rolling audit, on top: a 30th of a full reload (the default cycle), plus a handful.
    ceiling = math.ceil(f["full_requests"] / EtlSettings().audit_cycle_nights) + HANDFUL
    row(
        f"nightly audit: {f['audit_months']} months, requests",
        f"{audit:,}",
        f"{f['night_requests']:,} (night)",
        f"{audit / f['night_requests']:.0%}",
        f"<= {ceiling:,}",
        0 < audit <= ceiling,
    )
    night = f["night"].seconds
    row(
        "nightly (audit included): wall (s)",
        f"{night:.1f}",
        f"{full.seconds:.1f} (full)",
        f"{night / full.seconds:.1%}",
    )
    at_teamup = audit / (TEAMUP_PER_MINUTE / 60)
    row(
        "nightly audit at TeamUp's 250/min (s)",
        f"{at_teamup:.0f}",
        "",
        "",
        "< 60",
        at_teamup < 60,
    )


def _latency_rows(row: Row, f: dict[str, Any]) -> None:
    requests, seconds = f["latency_requests"], f["latency"].seconds
    floor = requests / RATE_LIMIT
    row(
        "latency-bound backfill: requests",
        f"{requests:,}",
        f"{f['latency_429']} x 429",
        "",
        "0 x 429",
        f["latency_429"] == 0,
    )
    row(
        "latency-bound backfill: wall (s)",
        f"{seconds:.1f}",
        f"{floor:.1f} (floor)",
        f"{seconds / floor:.2f}x",
        "<= 1.15x",
        seconds / floor <= 1.15,
    )
    row(
        "at TeamUp's 250/min, shipped limits",
        f"{f['teamup_requests']:,} requests",
        f"{f['teamup_429']} x 429",
        f"{f['teamup'].seconds:.0f}s",
        "0 x 429",
        f["teamup_429"] == 0,
    )
