"""The raw baseline: the pipeline's own requests replayed with plain requests, rows into DuckDB."""

# Run: python -m bench.baseline --requests requests.json --database raw.duckdb
# (SOURCES__TEAMUP__BASE_URL and SOURCES__TEAMUP__API_TOKEN as for the pipeline.)
# No dlt: one keep-alive requests.Session asks for each URL the sandbox logged during the
# pipeline's run, in the same order, parses each page with Decimal numbers (as the pipeline
# does), streams the rows as JSON lines into one file per query shape, and DuckDB reads each
# file into a table. That is the least any loader of these reports must do: the floor the
# pipeline's wall time is compared with. It prints one JSON line: requests, rows, seconds.

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import requests


def replay(urls: list[str], token: str, database: Path) -> dict[str, float]:
    """GET every URL, write its rows, load them; returns the counts and the wall time."""
    started = time.monotonic()
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    rows = 0
    with tempfile.TemporaryDirectory() as scratch:
        files: dict[tuple[str, str], Path] = {}
        handles = {}
        for url in urls:
            response = session.get(url, timeout=60)
            response.raise_for_status()
            page = json.loads(response.content, parse_float=Decimal)
            parts = urlsplit(url)
            shape = (parts.path, ",".join(parse_qs(parts.query).get("columns", [])))
            if shape not in files:
                files[shape] = Path(scratch) / f"shape_{len(files)}.jsonl"
                handles[shape] = files[shape].open("w", encoding="utf-8")
            out = handles[shape]
            for row in page["rows"]:
                out.write(json.dumps(row, default=str, ensure_ascii=False))
                out.write("\n")
            rows += len(page["rows"])
        for handle in handles.values():
            handle.close()
        with duckdb.connect(str(database)) as con:
            for n, path in enumerate(files.values()):
                con.execute(
                    f"create or replace table raw_{n} as select * from "
                    f"read_json('{path}', format = 'newline_delimited')"
                )
    return {"requests": len(urls), "rows": rows, "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=Path, required=True, help="JSON list of [path, query]")
    parser.add_argument("--database", type=Path, required=True)
    args = parser.parse_args(argv)
    base = urlsplit(os.environ["SOURCES__TEAMUP__BASE_URL"])
    origin = f"{base.scheme}://{base.netloc}"
    pairs = json.loads(args.requests.read_text())
    urls = [f"{origin}{path}?{query}" for path, query in pairs]
    result = replay(urls, os.environ["SOURCES__TEAMUP__API_TOKEN"], args.database)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
