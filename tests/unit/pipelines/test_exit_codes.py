"""Each error states its exit code, and docs/operations.md's table says the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.failures import errors
from pipelines.failures.errors import (
    ApiError,
    ApiUnavailableError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    ModelError,
    NetworkError,
    ProvidersFailedError,
    ReconciliationError,
    TeamUpError,
    ViewsFailedError,
    WarehouseBusyError,
    WarehouseError,
    ends_the_run,
    exit_code,
)

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
# Their code is the failure they carry's, said under the table rather than in it.
CARRIERS = {ProvidersFailedError, ViewsFailedError}
BASE = errors.PipelineError  # this layer's base, never raised itself


def error_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException)
        and value not in CARRIERS | {BASE}
    }  # fmt: skip


def documented() -> tuple[dict[str, int], str]:
    """The exit-code table's error classes and their codes, and the text after the table."""
    section = OPERATIONS.read_text(encoding="utf-8").split("\n## Exit codes\n")[1]
    section = section.split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| `\d+` \|", line)]
    assert rows, "no exit-code table in docs/operations.md"
    codes: dict[str, int] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        code = int(cells[0].strip("`"))
        for name in re.findall(r"`(\w+)`", cells[2]):
            assert name not in codes, f"{name} is listed under exit {codes[name]} and {code}"
            codes[name] = code
    return codes, section.split(rows[-1])[1]


def test_the_docs_exit_code_table_lists_each_error_class_with_its_code():
    codes, _ = documented()
    classes = error_classes()
    classes["KeyboardInterrupt"] = KeyboardInterrupt
    undocumented = sorted(classes.keys() - codes.keys())
    assert not undocumented, f"not in docs/operations.md's exit-code table: {undocumented}"
    unknown = sorted(codes.keys() - classes.keys())
    assert not unknown, f"docs/operations.md's exit-code table names no such class: {unknown}"
    differ = {
        name: (codes[name], _code_of(kind))
        for name, kind in classes.items()
        if codes[name] != _code_of(kind)
    }
    assert not differ, f"the table's code differs from the class's (documented, class): {differ}"


def _code_of(kind: type[BaseException]) -> int:
    return errors.EXIT_INTERRUPTED if kind is KeyboardInterrupt else errors.declared_exit_code(kind)


def test_the_docs_name_the_errors_that_carry_another_failures_code():
    _, after = documented()
    named = set(re.findall(r"`(\w+Error)`", after.split("\n\n")[1]))
    assert named == {kind.__name__ for kind in CARRIERS}


def api(kind: type[ApiError], status: int | None = None) -> ApiError:
    return kind("TeamUp said no", endpoint="customers", status=status)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigurationError("x"), 2),
        (api(AuthenticationError, 401), 3),
        (api(BadRequestError, 400), 4),
        (api(ApiUnavailableError, 503), 5),
        (api(MalformedResponseError), 5),
        (api(ApiError), 5),
        (NetworkError("x"), 6),
        (WarehouseError("x"), 7),
        (WarehouseBusyError("x"), 7),
        (ModelError("x"), 7),
        (ReconciliationError("x"), 8),
        (TeamUpError("x"), 5),
        (RuntimeError("a bug"), 1),
        (KeyboardInterrupt(), 130),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_each_error_exits_with_its_own_code(error, code):
    assert exit_code(error) == code


def test_an_error_carrying_others_exits_as_its_first():
    first, second = NetworkError("down"), api(AuthenticationError, 403)
    assert exit_code(ProvidersFailedError("2 of 3 providers committed", [first, second])) == 6
    assert exit_code(ProvidersFailedError("2 of 3", [second, first])) == 3
    assert exit_code(ViewsFailedError("the views failed", ModelError("sql/x.sql"))) == 7
    assert exit_code(ViewsFailedError("the views failed", RuntimeError("bug"))) == 1


def test_a_model_or_a_reconciliation_error_is_no_warehouse_error():
    """What let a rejected model be recorded as a success: an isinstance check meant for the
    warehouse matched it. Each has its own base now."""
    assert not isinstance(ModelError("x"), WarehouseError)
    assert not isinstance(ReconciliationError("x"), WarehouseError)
    assert not isinstance(WarehouseError("x"), ModelError | ReconciliationError)


@pytest.mark.parametrize(
    ("error", "ends"),
    [
        (api(AuthenticationError, 401), True),  # the token: every provider's
        (api(AuthenticationError, 403), False),  # this provider's
        (api(BadRequestError, 400), False),
        (api(ApiUnavailableError, 503), False),
        (api(MalformedResponseError), False),
        (NetworkError("x"), True),
        (ConfigurationError("x"), True),
        (WarehouseError("x"), True),
        (RuntimeError("a bug"), True),
        (KeyboardInterrupt(), True),
    ],
    ids=[
        "401",
        "403",
        "400",
        "503",
        "malformed",
        "network",
        "setting",
        "warehouse",
        "bug",
        "ctrl-c",
    ],
)
def test_a_failure_the_next_provider_would_share_ends_the_run(error, ends):
    assert ends_the_run(error) is ends


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ModelError("sql/marts/x.sql: no such column"), 7),
        (ReconciliationError("invoice counts differ"), 8),
        (ProvidersFailedError("2 of 3 providers committed", [NetworkError("down")]), 6),
        (RuntimeError("a bug"), 1),
    ],
    ids=["model", "reconciliation", "providers", "bug"],
)
def test_the_command_exits_with_the_code_its_error_states_in_one_line(
    monkeypatch, capsys, error, code
):
    def failing(*args):
        raise error

    monkeypatch.setattr(cli, "_dispatch", failing)
    assert cli.main(["status"]) == code
    said = capsys.readouterr().err.splitlines()
    assert said[-1].startswith("teamup-etl: error: ") and str(error) in said[-1]
