"""What went wrong, as our own error: dlt's wrapped exceptions unwrapped."""

from __future__ import annotations

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    InvalidNativeValue,
)
from dlt.common.destination.exceptions import DestinationException
from dlt.destinations.exceptions import DatabaseException
from dlt.pipeline.exceptions import PipelineStepFailed

from .errors import ConfigurationError, TeamUpError, WarehouseError
from .messages import flattened, missing_settings, not_coerced, one_line, redact, unreadable


def unwrap(error: BaseException, warehouse: str = "the warehouse") -> BaseException:
    """The innermost error we raised on purpose, a ConfigurationError for dlt's configuration,
    or a WarehouseError naming `warehouse` (never its password) for the database's failures."""
    seen: set[int] = set()
    current: BaseException | None = error
    database_error: BaseException | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TeamUpError | KeyboardInterrupt):
            return current  # an interrupt dlt wrapped is still the user's Ctrl-C
        if isinstance(current, ConfigFieldMissingException):
            return ConfigurationError(missing_settings(current.traces))
        if isinstance(current, ConfigValueCannotBeCoercedException):
            return ConfigurationError(not_coerced(current.field_name, current.hint))
        if isinstance(current, InvalidNativeValue):
            return ConfigurationError(unreadable(current.spec.__name__, current.embedded_sections))
        if database_error is None and _is_database_error(current):
            database_error = current
        inner = (
            getattr(current, "exception", None) if isinstance(current, PipelineStepFailed) else None
        )
        current = inner or current.__cause__ or current.__context__
    if database_error is not None or _is_database_error(error):
        return WarehouseError(f"{warehouse} failed: {database_message(database_error or error)}")
    return error


def error_line(error: BaseException) -> str:
    """The failure as run_history keeps it: the CLI's one line (Ctrl-C: interrupted)."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return redact(one_line(error))


def _is_database_error(error: BaseException) -> bool:
    module = type(error).__module__.lower()
    return isinstance(error, DatabaseException | DestinationException) or module.startswith(
        ("duckdb", "_duckdb", "psycopg2")  # duckdb's errors are _duckdb's
    )


def _innermost(error: BaseException) -> BaseException:
    """The driver's own error under dlt's wrappers: its message says what the server said."""
    current: BaseException = error
    seen: set[int] = set()
    while id(current) not in seen:
        seen.add(id(current))
        inner = current.__cause__ or current.__context__
        if inner is None or not _is_database_error(inner):
            break
        current = inner
    return current


def database_message(error: BaseException, whole: bool = False) -> str:
    """What the database said, under dlt's wrappers: its first line (a server's later lines
    are hints), or `whole`, on one line (a binder error's later lines point into the SQL)."""
    cause = _innermost(error)
    return flattened(cause) if whole else _first_line(cause)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
