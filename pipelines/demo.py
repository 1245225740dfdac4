"""`make demo`: the real `teamup-etl load` against a local sandbox, then what landed."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from sandbox import Sandbox

DEMO_DIR = Path(".demo")
DATABASE = DEMO_DIR / "teamup_warehouse.duckdb"
ANALYST_COPY = DEMO_DIR / "teamup_warehouse_analyst.duckdb"  # what the load publishes
REPORT = DEMO_DIR / "teamup_report.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__)
    parser.add_argument("--invoices", type=int, default=20000, help="size of the sandbox studio")
    args = parser.parse_args(argv)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)  # each demo starts from an empty warehouse
    DEMO_DIR.mkdir()
    print(f"starting the TeamUp sandbox on 127.0.0.1 ({args.invoices} invoices)...", flush=True)
    with Sandbox(seed=1, invoices=args.invoices) as sandbox:
        env = {
            **os.environ,
            "SOURCES__TEAMUP__BASE_URL": sandbox.base_url,
            "SOURCES__TEAMUP__API_TOKEN": sandbox.token,
            "DESTINATION__DUCKDB__CREDENTIALS": str(DATABASE.resolve()),
            "DLT_DATA_DIR": str((DEMO_DIR / "dlt").resolve()),
        }
        print(f"$ teamup-etl load   (against {sandbox.base_url})", flush=True)
        finished = subprocess.run(etl("load"), env=env, check=False)
    if finished.returncode != 0:
        print(f"the demo load failed (exit {finished.returncode})", file=sys.stderr)
        return finished.returncode
    show_warehouse(ANALYST_COPY)
    print(f"$ teamup-etl report --output {REPORT}")
    return subprocess.run(etl("report", "--output", str(REPORT)), env=env, check=False).returncode


def etl(*args: str) -> list[str]:
    """The installed command, or the module when run from a checkout without it."""
    command = shutil.which("teamup-etl")
    return [command, *args] if command else [sys.executable, "-m", "pipelines.cli", *args]


def show_warehouse(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        print(f"\nloaded, and published for analysts as {path}:")
        for table in ("invoices_grouped", "invoices", "customers", "report_columns"):
            count = con.execute(f"select count(*) from teamup.{table}").fetchall()[0][0]
            print(f"  teamup.{table:<18} {count:>7} rows")
        print("\nthe last year's revenue (teamup_marts.monthly_revenue):")
        con.sql(LAST_YEAR).show(max_width=120)
    print("query it yourself:")
    query = f"duckdb.connect('{path}', read_only=True).sql('{LAST_YEAR}').show()"
    print(f'  .venv/bin/python -c "import duckdb; {query}"')


LAST_YEAR = "select * from teamup_marts.monthly_revenue order by month desc limit 12"


if __name__ == "__main__":
    sys.exit(main())
