"""Helpers of the pipeline tests: the CLI as cron runs it, an analyst's tool, file searches."""

from __future__ import annotations

import gzip
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def etl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`teamup-etl ARGS` in a child process, as a scheduler would run it (no terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def etl_started(*args: str, cwd: Path) -> subprocess.Popen:
    """`teamup-etl ARGS` started in a child process that takes Ctrl-C as on a terminal.

    A shell's background job (tests under nohup, CI) ignores SIGINT, and a child inherits
    that: the run would never see the signal a test sends it. Reset to the default.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("teamup-etl: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.stderr


def files_containing(root: Path, secret: str) -> list[Path]:
    """Files under root holding the secret, gzipped ones (dlt's load packages) read unzipped."""
    needle = secret.encode()
    return [path for path in root.rglob("*") if path.is_file() and needle in _contents(path)]


def _contents(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip's magic number, whatever the file is called
        return data + gzip.decompress(data)
    return data


# An analyst's tool in another process: opens the file read-only and keeps it open until
# its stdin closes; meanwhile it answers "count" with the invoices it sees.
ANALYST = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
for line in sys.stdin:
    print(con.execute("select count(*) from teamup.invoices").fetchall()[0][0], flush=True)
con.close()
"""


@contextmanager
def analyst_holding(path: Path) -> Iterator[subprocess.Popen]:
    tool = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert tool.stdout.readline().strip() == "open"
        yield tool
    finally:
        tool.stdin.close()
        tool.wait(timeout=30)


def ask_count(tool: subprocess.Popen) -> int:
    tool.stdin.write("count\n")
    tool.stdin.flush()
    return int(tool.stdout.readline())
