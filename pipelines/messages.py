"""What leaves a run as text: errors on one line, and never the token."""

from __future__ import annotations

import logging
import os

from .exceptions import TeamUpError

TOKEN_ENV = "SOURCES__TEAMUP__API_TOKEN"
TOKEN_SETTING = "sources.teamup.api_token"


def one_line(error: BaseException) -> str:
    """The error on one line; one not ours says its type, since its text may not."""
    text = flattened(error)
    return text if isinstance(error, TeamUpError) else f"{type(error).__name__}: {text}"


def flattened(error: BaseException) -> str:
    """The error's own text on one line (its type's name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


def configured_token() -> str:
    """The token as configured (environment or secrets.toml), or "" when there is none."""
    token = os.environ.get(TOKEN_ENV)
    if not token:
        try:
            import dlt

            token = dlt.secrets.get(TOKEN_SETTING)
        except Exception:  # no secrets file, or an unreadable one: nothing to redact with
            token = None
    return str(token) if token else ""


def redact(text: str, token: str | None = None) -> str:
    """Belt and braces: no message leaves with the token in it, whatever raised it."""
    token = configured_token() if token is None else token
    return text.replace(token, "***") if len(token) >= 4 else text


class RedactingFilter(logging.Filter):
    """Rewrites every record's message without the token, for any handler it is put on."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if len(self.token) >= 4:
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "***"), None
            if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
                # Tracebacks are formatted later, by the handler: format them now, to redact.
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            if record.exc_text:  # ours, or set by another filter or handler before us
                record.exc_text = redact(record.exc_text, self.token)
        return True
