"""Errors of the pipeline and CLI layer: the warehouse, the models, runs and checks."""

from __future__ import annotations

# The source's errors, re-exported: the CLI maps every one of them to an exit code.
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


class WarehouseError(TeamUpError):
    """The warehouse (a DuckDB file or a PostgreSQL server) could not be read or written."""


class WarehouseBusyError(WarehouseError):
    """Another process held the warehouse file for longer than the run would wait."""


class ModelError(WarehouseError):
    """A SQL model failed to build."""


class ReconciliationError(WarehouseError):
    """After a run, invoice counts per due month differ between the two invoice tables."""

    def __init__(self, message: str, mismatches: list | None = None):
        self.mismatches = list(mismatches or [])
        super().__init__(message)


class ProvidersFailedError(TeamUpError):
    """Some providers of a franchise failed, or an audit after a committed refresh did; the
    others are committed. The exit code is the first failure's, as if it were alone."""

    def __init__(self, message: str, failures: list[BaseException]):
        self.failures = failures
        super().__init__(message)


class ViewsFailedError(TeamUpError):
    """The providers' refreshes committed (as their rows say), then the views did not build;
    the exit code is the views' failure's (a model: 7)."""

    def __init__(self, message: str, failure: BaseException):
        self.failures = [failure]
        super().__init__(message)


class RunInProgressError(TeamUpError):
    """Another run of the same pipeline holds its lock."""


class ProbeFailedError(TeamUpError):
    """`teamup-etl probe` found an assumption exactness depends on broken."""


class CheckFailedError(TeamUpError):
    """`teamup-etl check` found the warehouse stale, inconsistent or suddenly changed."""


__all__ = [
    "ApiError",
    "ApiUnavailableError",
    "AuthenticationError",
    "BadRequestError",
    "CheckFailedError",
    "ConfigurationError",
    "MalformedResponseError",
    "ModelError",
    "NetworkError",
    "ProbeFailedError",
    "ProvidersFailedError",
    "ReconciliationError",
    "RunInProgressError",
    "TeamUpError",
    "ViewsFailedError",
    "WarehouseBusyError",
    "WarehouseError",
]
