"""Errors a run can end with; each says what failed and where, never the token."""

from __future__ import annotations


class TeamUpError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigurationError(TeamUpError):
    """A setting is missing or invalid."""


class ApiError(TeamUpError):
    """TeamUp answered, but not with the data asked for."""

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
    """401/403: the token was rejected or may not act on the provider."""


class BadRequestError(ApiError):
    """400: TeamUp refused a parameter; the message names it."""


class ApiUnavailableError(ApiError):
    """5xx or 429 that outlasted every retry."""


class MalformedResponseError(ApiError):
    """A page that is not the documented JSON, or pages that contradict each other."""


class NetworkError(TeamUpError):
    """The API's host could not be reached at all."""
