"""The settings of teamup-etl ([teamup_etl], [models]): declared, defaulted and checked once."""

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.specs import BaseConfiguration, RuntimeConfiguration

from sources.teamup.options import number, setting_name, whole_number

from .failures.errors import ConfigurationError
from .failures.messages import not_coerced

# duckdb: a local file (the embedded warehouse); motherduck: DuckDB's dialect on a server, so
# the same SQL; postgres: a server warehouse. Each takes its credentials where dlt looks.
DESTINATIONS = ("duckdb", "postgres", "motherduck")
# What a zone name may hold (IANA names, Etc/GMT+5, UTC): nothing that could leave a literal.
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")

Spec = TypeVar("Spec", bound=BaseConfiguration)


@configspec
class EtlSettings(BaseConfiguration):
    """[teamup_etl] in .dlt/config.toml, TEAMUP_ETL__* in the environment; the reasons for
    each default are in docs/configuration.md (and .dlt/config.toml's comments)."""

    destination: str = "duckdb"  # one of DESTINATIONS
    log_file: str | None = None  # also log here; unset or "": stderr only
    # None: <working file>_analyst.duckdb beside it; "", "false" or "off": not published
    analyst_copy: str | None = None
    busy_timeout_seconds: float = 300.0
    # Unbounded, DuckDB's buffer cache grows with the data (about 650 MB peak for a first
    # load of 300,000 invoices, about 220 MB with these); one thread: a run loads one job at
    # a time, and each DuckDB thread holds read_json buffers of its own. "" / 0: DuckDB's own.
    duckdb_memory_limit: str = "64MB"
    duckdb_threads: int = 1
    audit_cycle_nights: int = 30  # 0: no audit
    # Two and a half minutes at TeamUp's 250 a minute: above a 300,000-invoice studio's share
    # (about 200), so the ceiling only binds on much larger histories, which then take longer.
    audit_max_requests: int = 600
    # A nightly job plus two hours of slack: one late night is not yet an alert, a missed one is.
    check_max_age_hours: float = 26.0
    # Between two runs a studio's tables grow by a fraction of a percent; a quarter is an accident.
    check_max_row_change: float = 0.25

    __section__: ClassVar[str] = "teamup_etl"

    def on_resolved(self) -> None:
        """The bounds of docs/configuration.md, each a ConfigurationError naming its setting."""
        name = self.named
        chosen = str(self.destination).strip().lower() or _default(self, "destination")
        if chosen not in DESTINATIONS:
            raise ConfigurationError(
                f"{name('destination')} must be one of {', '.join(DESTINATIONS)}, "
                f"not {self.destination!r}"
            )
        self.destination = chosen
        self.busy_timeout_seconds = number(self.busy_timeout_seconds, name("busy_timeout_seconds"))
        self.duckdb_memory_limit = str(self.duckdb_memory_limit).strip()
        self.duckdb_threads = whole_number(self.duckdb_threads, name("duckdb_threads"), 0)
        for key in ("audit_cycle_nights", "audit_max_requests"):
            setattr(self, key, whole_number(getattr(self, key), name(key), 0))
        for key in ("check_max_age_hours", "check_max_row_change"):
            setattr(self, key, number(getattr(self, key), name(key)))

    @classmethod
    def named(cls, key: str) -> str:
        """A setting of this section as a message names it."""
        return setting_name(key, cls.__section__)


@configspec
class ModelSettings(BaseConfiguration):
    """[models] in .dlt/config.toml, MODELS__* in the environment."""

    # Calendar months of the revenue views are those of this IANA zone, never the querying
    # session's TimeZone.
    reporting_timezone: str = "UTC"

    __section__: ClassVar[str] = "models"

    def on_resolved(self) -> None:
        given = str(self.reporting_timezone).strip()
        self.reporting_timezone = checked_timezone(given or _default(self, "reporting_timezone"))


def checked_timezone(value: Any) -> str:
    """An IANA zone name this machine knows (the views' literal: nothing else may pass)."""
    name = str(value).strip()
    try:
        if not ZONE_NAME.fullmatch(name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(
            f"MODELS__REPORTING_TIMEZONE must be an IANA time zone such as Europe/London, "
            f"not {value!r}"
        ) from None
    return name


def configured(spec: type[Spec]) -> Spec:
    """The settings of `spec` as dlt resolves them (the environment, then .dlt/'s files, then
    the spec's defaults), coerced to their types and checked: a value dlt cannot coerce, or
    one out of bounds, is a ConfigurationError naming the setting."""
    try:
        return resolve_configuration(spec())
    except ConfigValueCannotBeCoercedException as error:
        # dlt may resolve its own [runtime] on the way: not_coerced knows those by name
        ours = error.field_name in spec.get_resolvable_fields()
        section = str(spec.__section__) if ours else None
        raise ConfigurationError(not_coerced(error.field_name, error.hint, section)) from None


def _default(settings: BaseConfiguration, key: str) -> Any:
    return settings.__dataclass_fields__[key].default


def _at_least_one(value: Any, name: str) -> float:
    return whole_number(value, name, 1)


def _positive(value: Any, name: str) -> float:
    return number(value, name, above=True)


# dlt's retrying HTTP session ([runtime] in .dlt/config.toml): one attempt at least, no
# negative wait, and a timeout above 0 s (requests would refuse 0 only at the first request).
REQUEST_BOUNDS: dict[str, Callable[[Any, str], float]] = {
    "request_max_attempts": _at_least_one,
    "request_backoff_factor": number,
    "request_max_retry_delay": number,
    "request_timeout": _positive,
}


def check_requests() -> None:
    """dlt's request settings, which dlt itself resolves only at the first request."""
    runtime = configured(RuntimeConfiguration)
    for key, check in REQUEST_BOUNDS.items():
        check(getattr(runtime, key), setting_name(key, "runtime"))
