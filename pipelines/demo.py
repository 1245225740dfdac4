"""`make demo`: the real `teamup-etl load` against a local sandbox, then what landed."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from sandbox import Sandbox
from sources.teamup.settings import (
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    DEFAULT_RATE_LIMIT_WINDOW_SECONDS,
)

DEMO_DIR = Path(".demo")
DATABASE = DEMO_DIR / "teamup_warehouse.duckdb"
ANALYST_COPY = DEMO_DIR / "teamup_warehouse_analyst.duckdb"  # what the load publishes
REPORT = DEMO_DIR / "teamup_report.html"
LAST_YEAR = "select * from teamup_marts.monthly_revenue order by month desc limit 12"
EXPLORE = (
    "explore this demo's warehouse (paste these lines in a shell; after the export,"
    " make status, make check and make report read it too):"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__)
    parser.add_argument("--invoices", type=int, default=20000, help="size of the sandbox studio")
    args = parser.parse_args(argv)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)  # each demo starts from an empty warehouse
    DEMO_DIR.mkdir()
    settings = demo_settings()
    print(f"starting the TeamUp sandbox on 127.0.0.1 ({args.invoices} invoices)...", flush=True)
    with Sandbox(seed=1, invoices=args.invoices) as sandbox:
        env = {
            **os.environ,
            **settings,
            "SOURCES__TEAMUP__BASE_URL": sandbox.base_url,
            "SOURCES__TEAMUP__API_TOKEN": sandbox.token,
            # The sandbox has no rate limit: the client-side one, meant for TeamUp's, is off.
            "SOURCES__TEAMUP__MAX_REQUESTS_PER_SECOND": "0",
        }
        print(f"$ teamup-etl load   (against {sandbox.base_url})", flush=True)
        started = time.monotonic()
        finished = subprocess.run(etl("load"), env=env, check=False)
        seconds = time.monotonic() - started
        requests = sandbox.log.count()
    if finished.returncode != 0:
        print(f"the demo load failed (exit {finished.returncode})", file=sys.stderr)
        return finished.returncode
    print(f"the load took {seconds:.0f}s; {at_teamups_limit(requests)}")
    show_warehouse(ANALYST_COPY)
    print(f"$ teamup-etl report --output {REPORT}")
    report = subprocess.run(etl("report", "--output", str(REPORT)), env=env, check=False)
    if report.returncode == 0:
        print_explore(settings)
    return report.returncode


def demo_settings() -> dict[str, str]:
    """Where the demo's warehouse and dlt's working data live: what its commands need."""
    return {
        "DESTINATION__DUCKDB__CREDENTIALS": str(DATABASE.resolve()),
        "DLT_DATA_DIR": str((DEMO_DIR / "dlt").resolve()),
    }


def at_teamups_limit(requests: int) -> str:
    """How long the same requests would take under the client's limit for TeamUp's API."""
    window = DEFAULT_RATE_LIMIT_WINDOW_SECONDS
    per_window = math.floor(DEFAULT_MAX_REQUESTS_PER_SECOND * window)
    minutes = max(1, math.ceil(requests / per_window)) * window / 60
    return (
        f"against TeamUp's API ({per_window} requests a minute) its {requests} requests would"
        f" take about {minutes:.0f} minutes"
    )


def etl(*args: str) -> list[str]:
    """The installed command beside this Python (.venv/bin), else the module."""
    command = Path(sys.executable).with_name("teamup-etl")
    if command.exists():
        return [str(command), *args]
    return [sys.executable, "-m", "pipelines.cli", *args]


def show_warehouse(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        print(f"\nloaded, and published for analysts as {path}:")
        for table in ("invoices_grouped", "invoices", "customers", "report_columns"):
            count = con.execute(f"select count(*) from teamup.{table}").fetchall()[0][0]
            print(f"  teamup.{table:<18} {count:>7} rows")
        print("\nthe last year's revenue (teamup_marts.monthly_revenue):")
        con.sql(LAST_YEAR).show(max_width=120)


def print_explore(settings: dict[str, str]) -> None:
    """The commands that explore *this* warehouse, exactly as they work when pasted."""
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in settings.items())
    python = shlex.quote(_shown(Path(sys.executable)))
    database = str(ANALYST_COPY)  # double quotes: the shell's single ones wrap the snippet
    query = f'import duckdb; duckdb.connect("{database}", read_only=True).sql("{LAST_YEAR}").show()'
    print(f"\n{EXPLORE}")
    print(f"  export {exports}")
    for command in (["status"], ["check"], ["report", "--output", str(REPORT)]):
        program, *rest = etl(*command)
        print(f"  {shlex.join([_shown(Path(program)), *rest])}")
    print(f"  {python} -c {shlex.quote(query)}")


def _shown(path: Path) -> str:
    """A path as short as it can be printed: relative to here when it is below."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
