"""`make bench`: the pipeline against the sandbox, each figure beside a raw baseline's."""

# Run: python -m bench.run --invoices 30000 300000
# Per shape, in a fresh directory, with the sandbox in a process of its own (bench/sandbox_process):
# 1. full load: `teamup-etl load` in a child process, timed, its peak RSS from os.wait4;
# 2. raw baseline: the very requests the sandbox logged during (1), replayed by bench/baseline.py
#    (plain requests + duckdb, no dlt), in a child process measured the same way;
# 3. nightly: the night after (bench/nightly_budget.change_a_night: 0.5% of invoices changed),
#    its requests and wall time as a share of the full load's, and apart the requests its
#    summary line says went to finding the night's deleted invoices and to the rolling audit;
# 4. no-change reruns: the next night, nothing changed, with the audit; the night after, without;
# 5. latency-bound: the sandbox answers after 250 ms and allows 10 requests per second; a
#    backfill of the whole history with max_requests_per_second = 10, against the floor
#    requests / 10 (and no 429 may be provoked).
# 6. TeamUp's limit: the sandbox allows 250 requests in any minute; the same backfill with the
#    shipped client settings (240 a minute) may provoke no 429.
# 7. PostgreSQL (--postgres-at): (1), (3) and (4) again, the warehouse a PostgreSQL database (a
#    throwaway cluster of .ci/postgres, or TEAMUP_BENCH_POSTGRES), beside DuckDB's figures. The
#    RSS is teamup-etl's own; the server's memory is the server's.
# Every run's peak RSS is in the table, against < 300 MB. A shape is a size (--invoices, with
# one customer per 24 invoices), and each size of --customers-at (default: the largest) again
# as a studio of --customers customers (20,000): (1)-(4) only.
# (1)-(4) run without a client-side limit (the sandbox has none then), as does the baseline.
# Prints one table, each target with PASS or MISS; exits 1 if any is missed.

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

from sources.teamup.settings import (
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
)

from . import postgres
from .nightly_budget import NOW, run_environment
from .sandbox_process import SandboxProcess
from .settings import LATENCY_SECONDS, RATE_LIMIT, SEED, TEAMUP_PER_MINUTE
from .targets import Table, report

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class Child:
    seconds: float
    rss_mb: float
    output: str


def run_child(argv: list[str], env: dict[str, str], work: Path) -> Child:
    """Run a command from the project root; wall time and its own peak RSS (os.wait4)."""
    out_path = work / "child.out"
    with out_path.open("w") as out:
        started = time.monotonic()
        process = Popen(argv, env=env, cwd=PROJECT, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} exited {process.returncode}")
    return Child(seconds, usage.ru_maxrss / 1024, out_path.read_text())


def search_requests(output: str) -> int:
    """Of a load's requests, those spent finding deleted invoices, from its summary line."""
    found = re.search(r"\((\d+) finding deleted invoices\)", output)
    return int(found.group(1)) if found else 0


def audit_figures(output: str) -> tuple[int, int]:
    """(months, requests) of a load's rolling audit, from its summary line."""
    found = re.search(r"audit: (\d+) months, (\d+) requests", output)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def etl(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


@dataclass(frozen=True)
class Shape:
    """A studio the bench loads: its invoices, and its customers (None: the sandbox's
    default, one for every 24 invoices)."""

    invoices: int
    customers: int | None = None


def measure(shape: Shape, latency: bool) -> dict[str, Any]:
    """Every figure of one shape."""
    size = shape.invoices
    with (
        tempfile.TemporaryDirectory(prefix="teamup-bench-") as scratch,
        SandboxProcess(seed=SEED, invoices=size, customers=shape.customers, now=NOW) as sandbox,
    ):
        work = Path(scratch)
        env = {
            **os.environ,
            **run_environment(sandbox.base_url, sandbox.token, work),
        }
        figures: dict[str, Any] = {"invoices": size, "customers": sandbox.customers()}
        full = run_child(etl("load"), env, work)
        logged = sandbox.requests()
        figures["full"] = full
        figures["full_requests"] = len(logged)
        replayed = work / "requests.json"
        replayed.write_text(json.dumps([[p, q] for p, q, status in logged if status == 200]))
        raw_argv = [sys.executable, "-m", "bench.baseline", "--requests", str(replayed)]
        raw = run_child([*raw_argv, "--database", str(work / "raw.duckdb")], env, work)
        figures["raw"] = raw
        figures["rows"] = json.loads(raw.output.splitlines()[-1])["rows"]

        sandbox.advance(hours=12)
        # what the full load's lag left for the next run
        figures["catch_up"] = run_child(etl("load"), env, work)
        sandbox.advance(hours=12)
        figures["changed"], figures["deleted"] = sandbox.change_a_night(size)
        sandbox.advance(hours=1)
        sandbox.clear()
        figures["night"] = run_child(etl("load"), env, work)
        figures["night_requests"] = sandbox.count()
        figures["night_search"] = search_requests(figures["night"].output)
        figures["audit_months"], figures["audit_requests"] = audit_figures(figures["night"].output)
        rerun(sandbox, env, work, figures)

        if latency:
            sandbox.faults(latency=LATENCY_SECONDS, per_second=RATE_LIMIT)
            sandbox.clear()
            first, last = sandbox.due_range()
            limited = {
                **env,
                "SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND": str(RATE_LIMIT),
                "SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS": "1",
            }
            backfill = etl("backfill", "--start", first.isoformat(), "--end", last.isoformat())
            figures["latency"] = run_child(backfill, limited, work)
            figures["latency_requests"] = sandbox.count(200)
            figures["latency_429"] = sandbox.count(429)
            # TeamUp's documented limit, 250 a minute, against the shipped client settings.
            sandbox.faults(per_second=TEAMUP_PER_MINUTE / 60, window_seconds=60)
            sandbox.clear()
            shipped = {
                **env,
                "SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND": str(DEFAULT_MAX_REQUESTS_PER_SECOND),
                "SOURCES__TEAMUP__RATE_LIMIT_WINDOW_SECONDS": str(
                    DEFAULT_RATE_LIMIT_WINDOW_SECONDS
                ),
            }
            figures["teamup"] = run_child(backfill, shipped, work)
            figures["teamup_requests"] = sandbox.count(200)
            figures["teamup_429"] = sandbox.count(429)
    return figures


def rerun(sandbox: SandboxProcess, env: dict[str, str], work: Path, f: dict[str, Any]) -> None:
    """The nights after, nothing changed in TeamUp: one with the audit (its next months), one
    without it, so the audit's own share of the memory shows."""
    sandbox.advance(hours=24)
    sandbox.clear()
    f["rerun"] = run_child(etl("load"), env, work)
    f["rerun_requests"] = sandbox.count()
    sandbox.advance(hours=24)
    without_audit = {**env, "TEAMUP_ETL__AUDIT_CYCLE_NIGHTS": "0"}
    f["rerun_no_audit"] = run_child(etl("load"), without_audit, work)


def measure_postgres(size: int, figures: dict[str, Any]) -> None:
    """A full load, a night and the no-change nights after on PostgreSQL, the same sandbox
    data and changes as DuckDB's."""
    with (
        tempfile.TemporaryDirectory(prefix="teamup-bench-") as scratch,
        SandboxProcess(seed=SEED, invoices=size, now=NOW) as sandbox,
        postgres.server() as server,
    ):
        work = Path(scratch)
        env = {
            **os.environ,
            **run_environment(sandbox.base_url, sandbox.token, work),
            "TEAMUP_ETL__DESTINATION": "postgres",
            "DESTINATION__POSTGRES__CREDENTIALS": postgres.new_database(server),
        }
        figures["pg_full"] = run_child(etl("load"), env, work)
        figures["pg_full_requests"] = sandbox.count()
        sandbox.advance(hours=12)
        run_child(etl("load"), env, work)
        sandbox.advance(hours=12)
        sandbox.change_a_night(size)
        sandbox.advance(hours=1)
        sandbox.clear()
        figures["pg_night"] = run_child(etl("load"), env, work)
        figures["pg_night_requests"] = sandbox.count()
        pg: dict[str, Any] = {}
        rerun(sandbox, env, work, pg)
        figures.update({f"pg_{name}": value for name, value in pg.items()})


def machine() -> str:
    model = "unknown CPU"
    memory = 0.0
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(
            line.split(":", 1)[1].strip()
            for line in info.splitlines()
            if line.startswith("model name")
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        memory = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024
    except (OSError, StopIteration, ValueError):
        pass
    import dlt
    import duckdb

    return (
        f"{os.cpu_count()} CPUs ({model}), {memory:.1f} GiB RAM, {platform.system()}, "
        f"Python {platform.python_version()}, dlt {dlt.__version__}, duckdb {duckdb.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, nargs="+", default=[30000, 300000])
    parser.add_argument(
        "--latency-at",
        type=int,
        nargs="*",
        help="sizes that also run the latency-bound backfill (default: every size)",
    )
    parser.add_argument(
        "--postgres-at",
        type=int,
        nargs="*",
        default=[],
        help="sizes that also load into PostgreSQL (a throwaway cluster of .ci/postgres)",
    )
    parser.add_argument("--customers", type=int, default=20000, help="customers of --customers-at")
    parser.add_argument(
        "--customers-at",
        type=int,
        nargs="*",
        help="sizes measured again with --customers customers (default: the largest size)",
    )
    args = parser.parse_args(argv)
    latency_at = set(args.invoices if args.latency_at is None else args.latency_at)
    wide_at = [max(args.invoices)] if args.customers_at is None else args.customers_at
    shapes = [Shape(size) for size in args.invoices]
    shapes += [Shape(size, args.customers) for size in wide_at]
    print(f"machine: {machine()}", flush=True)
    table = Table()
    measured = []
    for shape in shapes:
        usual = shape.customers is None  # latency and PostgreSQL: the usual shape's only
        figures = measure(shape, usual and shape.invoices in latency_at)
        if usual and shape.invoices in args.postgres_at:
            measure_postgres(shape.invoices, figures)
        report(table, figures)
        if usual:
            measured.append(figures)
    if len(measured) > 1:  # the usual shape's growth, from the smallest size to the largest
        small, large = measured[0], measured[-1]
        growth = large["full"].rss_mb / small["full"].rss_mb - 1
        sizes = f"{small['invoices'] // 1000}k->{large['invoices'] // 1000}k"
        table.row(
            "",
            "",
            f"full load: peak RSS growth {sizes}",
            f"{growth:+.0%}",
            "",
            "",
            "< +25%",
            growth < 0.25,
        )
    print(f"targets missed: {table.missed}" if table.missed else "every target met", flush=True)
    return 1 if table.missed else 0


if __name__ == "__main__":
    sys.exit(main())
