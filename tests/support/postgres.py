"""A PostgreSQL server for the tests: TEAMUP_TEST_POSTGRES's, or a throwaway one of .ci/postgres."""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres"
# Neither name starts with a prefix tests/support/environment.py clears before each test.
DSN_VARIABLE = "TEAMUP_TEST_POSTGRES"
REQUIRE_VARIABLE = "TEAMUP_REQUIRE_POSTGRES"
# Only what create_database made is ever dropped, so a DSN of a real server cannot lose data.
DATABASE_NAME = re.compile(r"t_[0-9a-f]{12}")
MAINTENANCE_DATABASE = "postgres"
START_TIMEOUT = 120


class PostgresUnavailable(RuntimeError):
    """No server could be had; the message says why, to skip or fail with."""


# The session's outcome, success or failure, so that a slow or failing start is tried once.
_server: str | None = None
_failure: str | None = None


def required() -> bool:
    """Whether a missing server fails the tests (CI) rather than skipping them."""
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def server_dsn() -> str:
    """The DSN of the session's server: TEAMUP_TEST_POSTGRES's, else one started here once."""
    global _server, _failure
    if given := os.environ.get(DSN_VARIABLE):
        try:
            with connect(given) as connection, connection.cursor() as cursor:
                cursor.execute("select 1")
        except psycopg2.Error as error:
            raise PostgresUnavailable(f"{DSN_VARIABLE}={given} does not answer: {error}") from None
        return given
    if _failure is not None:
        raise PostgresUnavailable(_failure)
    if _server is None:
        try:
            _server = _start()
        except PostgresUnavailable as error:
            _failure = str(error)
            raise
    return _server


def available_server() -> str:
    """server_dsn(), or the test skipped with the reason (failed when REQUIRE_VARIABLE=1)."""
    try:
        return server_dsn()
    except PostgresUnavailable as error:
        reason = str(error)
    # Outside the except block, so the report says the reason without a chained traceback.
    if required():
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _start() -> str:
    """Start a cluster with .ci/postgres in a new temporary directory, stopped at exit."""
    directory = tempfile.mkdtemp(prefix="teamup-pg-")
    try:
        result = subprocess.run(
            [str(SCRIPT), "start", directory],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        _stop(directory)
        raise PostgresUnavailable(f"no PostgreSQL server: {SCRIPT} start failed: {error}") from None
    if result.returncode != 0:
        _stop(directory)
        reason = result.stderr.strip() or f"exit status {result.returncode}"
        raise PostgresUnavailable(f"no PostgreSQL server: {reason}")
    atexit.register(_stop, directory)
    return result.stdout.strip()


def _stop(directory: str) -> None:
    subprocess.run([str(SCRIPT), "stop", directory], capture_output=True, check=False)
    # What stop refused or could not remove was ours all the same: it came from mkdtemp.
    shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def connect(dsn: str, **options: object) -> Iterator[psycopg2.extensions.connection]:
    """An autocommit connection, closed on leaving (psycopg2's own `with` only commits)."""
    options.setdefault("connect_timeout", 10)
    connection = psycopg2.connect(dsn, **options)
    try:
        connection.autocommit = True
        yield connection
    finally:
        connection.close()


def with_database(dsn: str, name: str) -> str:
    """The same server's DSN for database `name`, in the form `dsn` has (URI or key=value)."""
    if "://" in dsn:
        return urlsplit(dsn)._replace(path=f"/{name}").geturl()
    return psycopg2.extensions.make_dsn(dsn, dbname=name)


def database_of(dsn: str) -> str:
    return psycopg2.extensions.parse_dsn(dsn)["dbname"]


def create_database(dsn: str, owner: str | None = None) -> str:
    """A new, empty database on `dsn`'s server, named t_<12 hex>; returns its DSN."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    owned = f' owner "{owner}"' if owner else ""
    # template0: what an external server's template1 may have gained stays out of the tests.
    with connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(f'create database "{name}"{owned} template template0')
    return with_database(dsn, name)


# The role the pipeline loads as in the tests, with a password .ci/postgres's pg_hba.conf
# checks (scram-sha-256), distinctive so a test can look for it in every output.
LOADER = "teamup_loader"
LOADER_PASSWORD = "pw-3f9c1e7a-loader"


def loader_database(server: str) -> str:
    """A new database owned by the loader role (made once), as the loader's URL with its
    password: what a user puts in DESTINATION__POSTGRES__CREDENTIALS."""
    with connect(server) as connection, connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", (LOADER,))
        if cursor.fetchone() is None:
            cursor.execute(f'create role "{LOADER}" login password %s', (LOADER_PASSWORD,))
    url = urlsplit(create_database(server, owner=LOADER))
    host = f"{url.hostname}:{url.port}" if url.port else str(url.hostname)
    return url._replace(netloc=f"{LOADER}:{LOADER_PASSWORD}@{host}").geturl()


def drop_database(db_dsn: str) -> None:
    """Drop a database create_database made, ending whatever connections it still has."""
    name = _ours(db_dsn)
    maintenance = with_database(db_dsn, MAINTENANCE_DATABASE)
    with connect(maintenance) as connection, connection.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}" with (force)')


def terminate_connections(db_dsn: str) -> int:
    """End every backend connected to the database, as if its server went away; how many."""
    name = _ours(db_dsn)
    with connect(with_database(db_dsn, MAINTENANCE_DATABASE)) as connection:
        # From 14 on, a timeout makes each call wait until its backend has really exited.
        wait = ", 5000" if connection.server_version >= 140000 else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"select count(*) filter (where pg_terminate_backend(pid{wait}))"
                " from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                (name,),
            )
            (count,) = cursor.fetchone()
    return count


def _ours(db_dsn: str) -> str:
    name = database_of(db_dsn)
    if not DATABASE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} was not made by create_database; not touching it")
    return name


def loader_password_checked(db_dsn: str) -> bool:
    """Whether the server refuses the loader role with a wrong password (not trust auth)."""
    url = urlsplit(db_dsn)
    wrong = url._replace(netloc=f"{LOADER}:wrong@{url.hostname}:{url.port}").geturl()
    try:
        with connect(wrong):
            return False
    except psycopg2.OperationalError:
        return True


def refuse_connections(db_dsn: str) -> None:
    """As if the database's server went away: no new connections, and the open ones ended."""
    name = _ours(db_dsn)
    maintenance = with_database(db_dsn, MAINTENANCE_DATABASE)
    with connect(maintenance) as connection, connection.cursor() as cursor:
        cursor.execute(f'alter database "{name}" allow_connections false')
    terminate_connections(db_dsn)


def allow_connections(db_dsn: str) -> None:
    name = _ours(db_dsn)
    maintenance = with_database(db_dsn, MAINTENANCE_DATABASE)
    with connect(maintenance) as connection, connection.cursor() as cursor:
        cursor.execute(f'alter database "{name}" allow_connections true')
