"""A PostgreSQL server for the bench: TEAMUP_BENCH_POSTGRES, or a throwaway one of .ci/postgres."""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "postgres"
SERVER_VARIABLE = "TEAMUP_BENCH_POSTGRES"  # a superuser's URL, to use a server of your own


@contextmanager
def server() -> Iterator[str]:
    """A superuser's URL; a throwaway cluster is stopped and removed on leaving."""
    given = os.environ.get(SERVER_VARIABLE)
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="teamup-bench-pg-")
    started = subprocess.run(
        [str(SCRIPT), "start", directory], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        raise RuntimeError(f"could not start PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(SCRIPT), "stop", directory], capture_output=True, check=False)


def new_database(dsn: str) -> str:
    """A new database on the server, as the URL a run's credentials take. A password is
    given because dlt requires one; the throwaway cluster trusts loopback and ignores it."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    connection = psycopg2.connect(dsn)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
    finally:
        connection.close()
    url = urlsplit(dsn)
    user = url.username or "postgres"
    password = url.password or "unused"
    netloc = f"{user}:{password}@{url.hostname}:{url.port or 5432}"
    return url._replace(netloc=netloc, path=f"/{name}").geturl()
