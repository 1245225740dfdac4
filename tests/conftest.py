"""The shared fixtures: isolation, sandboxes on loopback, pipeline harnesses; and what CI
requires (no skipping) and Hypothesis' CI profile. The sandbox and report tests add their own
in their folder's conftest.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, settings

from sandbox import Sandbox
from tests.support import TEST_INVOICES, TEST_NOW, postgres
from tests.support.environment import clear_settings
from tests.support.harness import Harness
from tests.support.targets import MakeTarget, duckdb_targets, postgres_targets

# Hypothesis in CI explores the same examples on every run (a failure there is a bug, not a
# new draw) and spares a loaded machine its timing checks. Hypothesis loads a "ci" profile of
# its own when it recognises a CI; this one is ours, and .ci/run asks for it by name.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def hypothesis_profile(environ: Mapping[str, str]) -> str | None:
    """TEAMUP_HYPOTHESIS_PROFILE's profile, else "ci" where CI=true (as CI services set it);
    None: Hypothesis' own choice."""
    if named := environ.get("TEAMUP_HYPOTHESIS_PROFILE"):
        return named
    return "ci" if environ.get("CI", "").lower() in ("true", "1") else None


if (profile := hypothesis_profile(os.environ)) is not None:
    settings.load_profile(profile)


def missing(variable: str, reason: str) -> NoReturn:
    """What the test needs is not here: skipped for `reason`, or failed when `variable` is 1.
    CI sets TEAMUP_REQUIRE_POSTGRES and TEAMUP_REQUIRE_BROWSER so (.ci/run): a missing server
    or browser fails the run instead of skipping tests."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working dir, dlt data dir and environment, restored after the test."""
    saved = dict(os.environ)
    clear_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on ephemeral ports; all are stopped at the end of the test."""
    started: list[Sandbox] = []

    def start(**options) -> Sandbox:
        options.setdefault("invoices", TEST_INVOICES)
        options.setdefault("now", TEST_NOW)
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


@pytest.fixture
def harness(sandbox: Sandbox, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(sandbox, isolated, monkeypatch)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL server for the session; without one, skipped (failed in CI)."""
    return postgres.available_server()


@pytest.fixture(name="missing")
def missing_fixture() -> Callable[[str, str], NoReturn]:
    """missing(variable, reason): skip the test, or fail it where CI requires what it lacks."""
    return missing


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty database on that server, dropped after the test."""
    dsn = postgres.create_database(postgres_server)
    yield dsn
    postgres.drop_database(dsn)


@pytest.fixture
def make_target(request: pytest.FixtureRequest, isolated: Path) -> Iterator[Callable]:
    """make_target(kind) -> a factory of empty warehouses of that kind (duckdb, postgres);
    the PostgreSQL databases it makes are dropped after the test."""
    made: list[str] = []

    def targets(kind: str) -> MakeTarget:
        if kind == "duckdb":
            return duckdb_targets(isolated)
        return postgres_targets(request.getfixturevalue("postgres_server"), made)

    yield targets
    for dsn in made:
        postgres.drop_database(dsn)


@pytest.fixture
def make_harness(
    make_sandbox: Callable[..., Sandbox],
    make_target: Callable[[str], MakeTarget],
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Harness]:
    """make_harness(destination="duckdb", audit=False, **sandbox options)."""

    def build(destination: str = "duckdb", audit: bool = False, **options: Any) -> Harness:
        targets = make_target(destination)
        return Harness(make_sandbox(**options), isolated, monkeypatch, targets, audit)

    return build
