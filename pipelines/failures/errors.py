"""Errors of the pipeline and CLI layer; each states its exit code and whether it ends a run."""

from __future__ import annotations

# The source's errors, re-exported: each states its exit code, as ours do.
from sources.teamup.exceptions import (
    ApiError,
    ApiUnavailableError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    NetworkError,
    TeamUpError,
)

EXIT_UNEXPECTED = 1  # an error not ours: a bug, or one nothing foresaw
EXIT_INTERRUPTED = 130  # Ctrl-C


class PipelineError(TeamUpError):
    """Base of this layer's errors: a run that meets one ends there (the next provider would
    meet it too) and the command exits with its code."""

    exit_code = EXIT_UNEXPECTED
    ends_run = True


class WarehouseError(PipelineError):
    """The warehouse (a DuckDB file or a PostgreSQL server) could not be read or written."""

    exit_code = 7


class WarehouseBusyError(WarehouseError):
    """Another process held the warehouse file for longer than the run would wait."""


class ModelError(PipelineError):
    """A SQL model failed to build (the warehouse itself worked: not a WarehouseError)."""

    exit_code = 7


class ReconciliationError(PipelineError):
    """After a run, invoice counts per due month differ between the two invoice tables (not a
    WarehouseError: the warehouse worked, and the load committed)."""

    exit_code = 8

    def __init__(self, message: str, mismatches: list | None = None):
        self.mismatches = list(mismatches or [])
        super().__init__(message)


class RunInProgressError(PipelineError):
    """Another run of the same pipeline holds its lock."""

    exit_code = 9


class CheckFailedError(PipelineError):
    """`teamup-etl check` found the warehouse stale, inconsistent or suddenly changed."""

    exit_code = 10


class ProbeFailedError(PipelineError):
    """`teamup-etl probe` found an assumption exactness depends on broken."""

    exit_code = 11


class ProvidersFailedError(TeamUpError):
    """Some providers of a franchise failed, or an audit after a committed refresh did; the
    others are committed. Its exit code is its first failure's, as if that were alone."""

    def __init__(self, message: str, failures: list[BaseException]):
        self.failures = failures
        self.exit_code = exit_code(failures[0]) if failures else EXIT_UNEXPECTED
        super().__init__(message)


class ViewsFailedError(TeamUpError):
    """The providers' refreshes committed (as their rows say), then the views did not build;
    its exit code is the views' failure's (a model: 7)."""

    def __init__(self, message: str, failure: BaseException):
        self.failures = [failure]
        self.exit_code = exit_code(failure)
        super().__init__(message)
        self.__cause__ = failure  # a traceback (--verbose) shows the views' own


def exit_code(error: BaseException) -> int:
    """The code `teamup-etl` exits with when it ends with `error`."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    own = getattr(error, "exit_code", None)
    if isinstance(own, int):
        return own
    return declared_exit_code(type(error))


def declared_exit_code(kind: type[BaseException]) -> int:
    """The exit code a class states: its own, or its nearest base's; none: 1."""
    for base in kind.__mro__:
        own = base.__dict__.get("exit_code")
        if isinstance(own, int):
            return own
    return EXIT_UNEXPECTED


def ends_the_run(error: BaseException) -> bool:
    """Whether the next provider would fail the same way: everything but TeamUp refusing or
    garbling this provider's data. A rejected token (401) is the token's, not the provider's
    (403: it may not act on this provider)."""
    if isinstance(error, AuthenticationError):
        return error.status == 401
    return bool(getattr(error, "ends_run", True))


__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_UNEXPECTED",
    "ApiError",
    "ApiUnavailableError",
    "AuthenticationError",
    "BadRequestError",
    "CheckFailedError",
    "ConfigurationError",
    "MalformedResponseError",
    "ModelError",
    "NetworkError",
    "PipelineError",
    "ProbeFailedError",
    "ProvidersFailedError",
    "ReconciliationError",
    "RunInProgressError",
    "TeamUpError",
    "ViewsFailedError",
    "WarehouseBusyError",
    "WarehouseError",
    "ends_the_run",
    "exit_code",
]
