""".ci/postgres: its throwaway server answers, makes and drops databases, admits loopback only."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.support import postgres

# What CI installs (Debian's postgresql-15); DROP DATABASE ... WITH (FORCE) needs 13 at least.
MAJOR = 15
PROTOCOL_3 = 196608


def scalar(dsn: str, query: str, *args: object) -> object:
    with postgres.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(query, args)
        return cursor.fetchone()[0]


def test_the_server_answers_with_its_version(postgres_server: str):
    version = scalar(postgres_server, "select version()")
    assert str(version).startswith(f"PostgreSQL {MAJOR}."), version
    assert scalar(postgres_server, "show fsync") == "off"


def test_a_created_database_is_empty_and_is_dropped_even_while_connected(postgres_server: str):
    dsn = postgres.create_database(postgres_server)
    name = postgres.database_of(dsn)
    assert scalar(dsn, "select current_database()") == name
    tables = "select count(*) from pg_class where relnamespace = 'public'::regnamespace"
    assert scalar(dsn, tables) == 0
    with postgres.connect(dsn):
        postgres.drop_database(dsn)
    assert scalar(postgres_server, "select count(*) from pg_database where datname = %s", name) == 0
    with pytest.raises(psycopg2.OperationalError, match="does not exist"):
        scalar(dsn, "select 1")


def test_only_databases_create_database_made_are_dropped_or_disconnected(postgres_server: str):
    for helper in (postgres.drop_database, postgres.terminate_connections):
        with pytest.raises(ValueError, match="not made by create_database"):
            helper(postgres.with_database(postgres_server, "postgres"))


def test_terminated_connections_fail_and_new_ones_succeed(postgres_database: str):
    with (
        postgres.connect(postgres_database) as first,
        postgres.connect(postgres_database) as second,
    ):
        assert postgres.terminate_connections(postgres_database) == 2
        for connection in (first, second):
            with pytest.raises(psycopg2.OperationalError), connection.cursor() as cursor:
                cursor.execute("select 1")
    assert scalar(postgres_database, "select 1") == 1


def first_reply(port: int, source: str) -> tuple[bytes, dict[str, str]]:
    """The server's first message to a startup from `source`: its type, and an error's fields."""
    body = struct.pack("!i", PROTOCOL_3) + b"user\0postgres\0database\0postgres\0\0"
    address = ("127.0.0.1", port)
    with socket.create_connection(address, timeout=10, source_address=(source, 0)) as client:
        client.sendall(struct.pack("!i", len(body) + 4) + body)
        kind, length = struct.unpack("!ci", receive(client, 5))
        payload = receive(client, length - 4)
    fields = {}
    if kind == b"E":
        for field in payload.split(b"\0"):
            if field:
                fields[chr(field[0])] = field[1:].decode()
    return kind, fields


def receive(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def test_the_server_admits_127_0_0_1_and_refuses_any_other_address(
    postgres_server: str, missing: Callable[[str, str], NoReturn]
):
    url = urlsplit(postgres_server)
    if url.hostname != "127.0.0.1" or url.port is None:
        missing(postgres.REQUIRE_VARIABLE, f"not a server of .ci/postgres: {postgres_server}")
    assert scalar(postgres_server, "show listen_addresses") == "127.0.0.1"
    hosts = (
        "select array_agg(distinct address || '/' || netmask) from pg_hba_file_rules "
        "where type <> %s"
    )
    assert scalar(postgres_server, hosts, "local") == ["127.0.0.1/255.255.255.255"]
    # On Linux the rest of 127/8 reaches a 127.0.0.1 listener: a source pg_hba.conf has no line for.
    try:
        refused = first_reply(url.port, "127.0.0.2")
    except OSError as error:
        missing(postgres.REQUIRE_VARIABLE, f"cannot connect from 127.0.0.2 here: {error}")
    assert refused[0] == b"E"
    assert refused[1]["C"] == "28000", refused[1]
    assert "no pg_hba.conf entry" in refused[1]["M"]
    admitted = first_reply(url.port, "127.0.0.1")
    assert admitted[0] == b"R"  # an authentication request: with trust, AuthenticationOk


def test_a_server_that_does_not_answer_skips_the_tests_or_fails_them_when_required(
    monkeypatch: pytest.MonkeyPatch,
):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    monkeypatch.setenv(postgres.DSN_VARIABLE, "postgresql://postgres@127.0.0.1:1/postgres")
    monkeypatch.delenv(postgres.REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        postgres.available_server()
    monkeypatch.setenv(postgres.REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="TEAMUP_REQUIRE_POSTGRES=1 but"):
        postgres.available_server()
