"""What leaves a run as text: errors on one line, and never the token."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any, get_origin

from sources.teamup.options import SOURCE_SETTINGS, setting_name

from .errors import TeamUpError

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


# What a destination's credentials look like as one URL, for a message saying how to give them.
CREDENTIALS_URLS = {"postgres": "postgresql://user:password@host:port/database"}


def missing_settings(traces: Mapping[str, Sequence[Any]]) -> str:
    """dlt's missing fields (its lookup traces) as the settings to set, by their documented
    names. dlt's list of every place it looked is for the log, not for this line."""
    return "; ".join(
        _missing(sections, keys, partly) for sections, keys, partly in _missing_groups(traces)
    )


def _missing_groups(
    traces: Mapping[str, Sequence[Any]], resolved: Sequence[str] = ()
) -> Iterator[tuple[tuple[str, ...], list[str], bool]]:
    """(sections, the keys missing there, whether some keys of those sections were given)."""
    leaves: dict[tuple[str, ...], list[str]] = {}
    for key, lookups in traces.items():
        nested = [lookup for lookup in lookups if hasattr(lookup, "traces")]
        for inner in nested:  # an embedded configuration: the credentials of a destination
            yield from _missing_groups(inner.traces, inner.resolved_fields_set)
        if not nested:
            leaves.setdefault(_documented(lookups), []).append(key)
    for sections, keys in leaves.items():
        yield sections, keys, bool(resolved)


def _documented(lookups: Sequence[Any]) -> tuple[str, ...]:
    """The sections docs/configuration.md names a setting by: dlt also tries the pipeline's
    name before them, and the source's name repeated after its section (sources.teamup.teamup)."""
    tried = [tuple(lookup.sections) for lookup in lookups]
    plain = [s for s in tried if all(a != b for a, b in pairwise(s))]
    return (plain or tried or [()])[0]


def _missing(sections: tuple[str, ...], keys: list[str], partly: bool) -> str:
    if len(sections) == 3 and sections[0] == "destination" and sections[2] == "credentials":
        return _missing_credentials(sections[1], keys, partly)
    named = ", ".join(_setting(sections, key) for key in keys)
    return f"{named} is not set (in the environment, or in .dlt/secrets.toml)"


def _missing_credentials(destination: str, keys: list[str], partly: bool) -> str:
    variable = f"DESTINATION__{destination.upper()}__CREDENTIALS"
    place = f"[destination.{destination}.credentials] in .dlt/secrets.toml"
    url = CREDENTIALS_URLS.get(destination, "a connection URL")
    if not partly:
        return f"{variable} is not set: {url}, or {place}"
    missing = " and ".join(keys)
    # dlt requires a password even of a server that asks none: a surprise worth a word
    required = ", which dlt requires (any will do for trust or peer authentication)"
    why = required if keys == ["password"] else ""
    how = f"give it in the URL, {url}, or as {keys[0]} under {place}"
    return f"{variable} has no {missing}{why}: {how}"


def unreadable(spec_name: str, sections: Sequence[str]) -> str:
    """dlt could not read a setting of several parts from one value (a destination's
    credentials, as a URL); the value is never shown: it may hold a password."""
    if not spec_name.endswith("Credentials"):
        return f"the setting {'.'.join(sections)} could not be read as a {spec_name}"
    destination = spec_name.removesuffix("Credentials").lower()
    url = CREDENTIALS_URLS.get(destination, "a connection URL")
    return (
        f"DESTINATION__{destination.upper()}__CREDENTIALS is not a connection URL such as"
        f" {url} (its value is not shown: it may hold a password)"
    )


TYPE_NAMES: dict[Any, str] = {
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: 'a JSON list (["a", "b"])',
}


def not_coerced(field: str, hint: Any, section: str | None = None) -> str:
    """A setting dlt could not convert to its type (of `section`, when the caller knows it);
    its value is not shown (it could be a secret set in the wrong place)."""
    from dlt.common.configuration.specs import RunConfiguration

    if section is not None:
        named = setting_name(field, section)
    elif field in SOURCE_SETTINGS:
        named = setting_name(field)
    elif field in RunConfiguration.get_resolvable_fields():
        named = setting_name(field, "runtime")
    else:
        named = f"the setting {field}"
    kind = TYPE_NAMES.get(get_origin(hint) or hint, getattr(hint, "__name__", str(hint)))
    return f"{named} is not {kind} (check its environment variable or .dlt/config.toml)"


def _setting(sections: tuple[str, ...], key: str) -> str:
    return setting_name(key, ".".join(sections)) if sections else key.upper()
