"""Errors a run can end with; each says what failed and where, never the token."""

from __future__ import annotations


class TeamUpError(Exception):
    """Base of every error this project raises on purpose. Each class states the code
    `teamup-etl` exits with (docs/operations.md#exit-codes) and whether a franchise's run
    ends at it (the next provider would meet it too) or goes on to the next provider."""

    exit_code: int = 5  # a class attribute; a few errors take another failure's code
    ends_run: bool = True


class ConfigurationError(TeamUpError):
    """A setting is missing or invalid."""

    exit_code = 2


class ApiError(TeamUpError):
    """TeamUp answered, but not with the data asked for (this provider's: the run goes on)."""

    ends_run = False

    def __init__(
        self, message: str, *, endpoint: str, request: str = "", status: int | None = None
    ):
        self.detail, self.endpoint, self.request, self.status = message, endpoint, request, status
        where = f"GET /{endpoint}" + (f" ({request})" if request else "")
        super().__init__(f"{message} on {where}")

    def at(self, request: str) -> ApiError:
        """The same error, naming the request that brought the bad data."""
        return type(self)(self.detail, endpoint=self.endpoint, request=request, status=self.status)


class AuthenticationError(ApiError):
    """401/403: the token was rejected or may not act on the provider (pipelines'
    `ends_the_run`: a rejected token, 401, ends the run; a refused provider, 403, does not)."""

    exit_code = 3


class BadRequestError(ApiError):
    """400: TeamUp refused a parameter; the message names it."""

    exit_code = 4


class ApiUnavailableError(ApiError):
    """5xx or 429 that outlasted every retry."""


class MalformedResponseError(ApiError):
    """A page that is not the documented JSON, or pages that contradict each other."""


class NetworkError(TeamUpError):
    """The API's host could not be reached at all."""

    exit_code = 6
