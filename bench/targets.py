"""`make bench`'s printed table: each figure beside its baseline and target, PASS or MISS."""

from __future__ import annotations

import math
from typing import Any

from pipelines.audit import DEFAULT_CYCLE_NIGHTS
from sources.teamup.exactness.audit import HANDFUL

from .settings import RATE_LIMIT, TEAMUP_PER_MINUTE


class Table:
    """Rows of the printed table; remembers whether every target passed."""

    COLUMNS = ("invoices", "figure", "pipeline", "baseline", "ratio", "target", "result")
    WIDTHS = (9, 34, 10, 18, 7, 10, 6)

    def __init__(self) -> None:
        self.missed = 0
        self.line(*self.COLUMNS)
        self.line(*("-" * width for width in self.WIDTHS))

    def line(self, *cells: Any) -> None:
        text = [
            f"{cell:<{width}}" if i == 1 else f"{cell:>{width}}"
            for i, (cell, width) in enumerate(zip(cells, self.WIDTHS, strict=True))
        ]
        print(" ".join(text).rstrip(), flush=True)

    def row(
        self,
        size: str,
        figure: str,
        ours: str,
        theirs: str = "",
        ratio: str = "",
        target: str = "",
        passed: bool | None = None,
    ) -> None:
        result = "" if passed is None else "PASS" if passed else "MISS"
        self.missed += passed is False
        self.line(size, figure, ours, theirs, ratio, target, result)


def report(table: Table, f: dict[str, Any]) -> None:
    size = f"{f['invoices']:,}"
    _full_load_rows(table, size, f)
    _nightly_rows(table, size, f)
    if "latency" in f:
        _latency_rows(table, size, f)
    if "pg_full" in f:
        _postgres_rows(table, size, f)


def _postgres_rows(table: Table, size: str, f: dict[str, Any]) -> None:
    """PostgreSQL beside DuckDB: the same requests (the warehouse does not change what is
    asked), the wall time and teamup-etl's peak RSS."""
    for run, label in (("full", "full load"), ("night", "nightly")):
        pg, duck = f[f"pg_{run}"], f[run]
        requests, duck_requests = f[f"pg_{run}_requests"], f[f"{run}_requests"]
        table.row(
            size,
            f"postgres {label}: requests",
            f"{requests:,}",
            f"{duck_requests:,} (duckdb)",
            "",
            "= duckdb",
            requests == duck_requests,
        )
        ratio = pg.seconds / duck.seconds
        table.row(
            size,
            f"postgres {label}: wall time (s)",
            f"{pg.seconds:.1f}",
            f"{duck.seconds:.1f} (duckdb)",
            f"{ratio:.2f}x",
        )
        table.row(
            size,
            f"postgres {label}: peak RSS (MB)",
            f"{pg.rss_mb:.0f}",
            f"{duck.rss_mb:.0f} (duckdb)",
            "",
            "< 300",
            pg.rss_mb < 300,
        )


def _full_load_rows(table: Table, size: str, f: dict[str, Any]) -> None:
    full, raw = f["full"], f["raw"]
    ratio = full.seconds / raw.seconds
    table.row(
        size,
        "full load: wall time (s)",
        f"{full.seconds:.1f}",
        f"{raw.seconds:.1f}",
        f"{ratio:.2f}x",
        "<= 1.5x",
        ratio <= 1.5,
    )
    table.row(
        size,
        "full load: rows per second",
        f"{f['rows'] / full.seconds:,.0f}",
        f"{f['rows'] / raw.seconds:,.0f}",
    )
    table.row(size, "full load: requests", f"{f['full_requests']:,}", f"{f['full_requests']:,}")
    table.row(
        size,
        "full load: peak RSS (MB)",
        f"{full.rss_mb:.0f}",
        f"{raw.rss_mb:.0f}",
        "",
        "< 300",
        full.rss_mb < 300,
    )


def _nightly_rows(table: Table, size: str, f: dict[str, Any]) -> None:
    full = f["full"]
    audit = f["audit_requests"]
    refresh = f["night_requests"] - audit  # the incremental refresh, without the audit
    share = refresh / f["full_requests"]
    table.row(
        size,
        f"nightly ({f['changed']} changed): requests",
        f"{refresh:,}",
        f"{f['full_requests']:,} (full)",
        f"{share:.1%}",
        "< 3%",
        share < 0.03,
    )
    search = f["night_search"]
    table.row(
        size,
        f"nightly: finding {f['deleted']} deleted",
        f"{search:,}",
        f"{f['full_requests']:,} (full)",
        f"{search / f['full_requests']:.1%}",
    )
    rest = refresh - search
    table.row(
        size,
        "nightly: all but finding deleted",
        f"{rest:,}",
        f"{f['full_requests']:,} (full)",
        f"{rest / f['full_requests']:.1%}",
    )
    # The rolling audit, on top: a 30th of a full reload (the default cycle), plus a handful.
    ceiling = math.ceil(f["full_requests"] / DEFAULT_CYCLE_NIGHTS) + HANDFUL
    table.row(
        size,
        f"nightly audit: {f['audit_months']} months, requests",
        f"{audit:,}",
        f"{f['night_requests']:,} (night)",
        f"{audit / f['night_requests']:.0%}",
        f"<= {ceiling:,}",
        0 < audit <= ceiling,
    )
    night = f["night"].seconds
    table.row(
        size,
        "nightly (audit included): wall (s)",
        f"{night:.1f}",
        f"{full.seconds:.1f} (full)",
        f"{night / full.seconds:.1%}",
    )
    at_teamup = audit / (TEAMUP_PER_MINUTE / 60)
    table.row(
        size,
        "nightly audit at TeamUp's 250/min (s)",
        f"{at_teamup:.0f}",
        "",
        "",
        "< 60",
        at_teamup < 60,
    )


def _latency_rows(table: Table, size: str, f: dict[str, Any]) -> None:
    requests, seconds = f["latency_requests"], f["latency"].seconds
    floor = requests / RATE_LIMIT
    table.row(
        size,
        "latency-bound backfill: requests",
        f"{requests:,}",
        f"{f['latency_429']} x 429",
        "",
        "0 x 429",
        f["latency_429"] == 0,
    )
    table.row(
        size,
        "latency-bound backfill: wall (s)",
        f"{seconds:.1f}",
        f"{floor:.1f} (floor)",
        f"{seconds / floor:.2f}x",
        "<= 1.15x",
        seconds / floor <= 1.15,
    )
    table.row(
        size,
        "at TeamUp's 250/min, shipped limits",
        f"{f['teamup_requests']:,} requests",
        f"{f['teamup_429']} x 429",
        f"{f['teamup'].seconds:.0f}s",
        "0 x 429",
        f["teamup_429"] == 0,
    )
