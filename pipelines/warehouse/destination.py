"""The warehouse by configuration: which dlt destination, how it is named, and sql clients on it."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, InvalidNativeValue
from dlt.common.configuration.inject import inject_section
from dlt.common.configuration.specs.config_section_context import ConfigSectionContext
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ..failures.errors import ConfigurationError, WarehouseError
from ..failures.unwrap import unwrap
from ..settings import EtlSettings, configured
from .duckdb_file import held_open

logger = logging.getLogger(__name__)

PIPELINE_NAME = "teamup_warehouse"  # also the DuckDB file's name: never the dataset's (teamup)
DATASET_NAME = "teamup"
DUCKDB_SETTING = "DESTINATION__DUCKDB__CREDENTIALS"
# dlt's merge staging would be "teamup_staging", the schema of our staging views: moved.
STAGING_LAYOUT = "%s_load_staging"


def make_destination(name: str | None = None, credentials: Any = None) -> Destination:
    """dlt's destination of that name (unless given, [teamup_etl] destination); its credentials
    from dlt's configuration unless given (DESTINATION__POSTGRES__CREDENTIALS,
    DESTINATION__DUCKDB__CREDENTIALS, secrets.toml)."""
    options: dict[str, Any] = {"staging_dataset_name_layout": STAGING_LAYOUT}
    if credentials is not None:
        options["credentials"] = credentials
    name = name or configured(EtlSettings).destination
    destination = cast(Destination, Destination.from_reference(name, **options))
    if credentials is None and destination.destination_name != "duckdb":
        resolved(destination)  # a server's credentials: missing parts fail here, named
    return destination


def configured_duckdb_file() -> Path:
    """The DuckDB working file as the pipeline will resolve it, before there is a pipeline."""
    credentials = resolved(make_destination("duckdb")).credentials
    return duckdb_file(Path(cast(DuckDbCredentials, credentials).database))


def resolved(destination: Destination) -> Any:
    """The destination's configuration as the pipeline will resolve it, resolved now: a part
    missing or unreadable stops the command before it starts, in one line naming the setting
    (dlt's account of every place it looked goes to the log: a file, or --verbose)."""
    config = destination.spec()
    config.dataset_name, config.local_dir = DATASET_NAME, str(Path.cwd())  # the pipeline's
    config.pipeline_name = PIPELINE_NAME  # a DuckDB file's default name
    try:
        with inject_section(ConfigSectionContext(pipeline_name=PIPELINE_NAME)):
            return destination.configuration(config)
    except (ConfigFieldMissingException, InvalidNativeValue) as error:
        logger.info("dlt resolved the %s settings: %s", destination.destination_name, error)
        raise unwrap(error) from None


def is_local_file(pipeline: dlt.Pipeline) -> bool:
    """A DuckDB file on this machine: the one destination whose file this process holds."""
    return pipeline.destination.destination_name == "duckdb"


def database_path(pipeline: dlt.Pipeline) -> Path:
    """The DuckDB file dlt resolved for this pipeline (its credentials, else the default)."""
    credentials = cast(DuckDbCredentials, pipeline.destination_client().config.credentials)
    return duckdb_file(Path(credentials.database))


def duckdb_file(path: Path) -> Path:
    """The DuckDB file a setting names, checked: a file (or none yet) in a directory that is."""
    if path.is_dir():
        raise ConfigurationError(f"{DUCKDB_SETTING} names the directory {path}, not a file")
    if not path.parent.is_dir():
        raise ConfigurationError(
            f"{DUCKDB_SETTING} names {path}, in a directory that does not exist"
        )
    return path


def shown(pipeline: dlt.Pipeline) -> str:
    """The warehouse as a message names it: the file, or the server's URL without password."""
    try:
        if is_local_file(pipeline):
            return f"the DuckDB warehouse {database_path(pipeline)}"
        credentials = pipeline.destination_client().config.credentials
    except Exception:  # unresolvable credentials: say which destination, nothing more
        return f"the {pipeline.destination.destination_name} warehouse"
    # dlt's str() of connection credentials hides the password and the query
    return f"the {pipeline.destination.destination_name} warehouse {credentials}"


@contextmanager
def reading(
    pipeline: dlt.Pipeline, database: Path | None = None, busy_timeout: float | None = None
) -> Iterator[Any]:
    """A dlt sql client on the warehouse for reading (status, check, report).

    A local DuckDB file (the configured one, or `database`, e.g. the analyst copy) is opened
    read-only, waiting while a run holds it (up to `busy_timeout` seconds, unless given the
    configured [teamup_etl] busy_timeout_seconds); dlt's client then reads through it.
    """
    if database is None and not is_local_file(pipeline):
        with pipeline.sql_client() as client:
            yield client
        return
    path = database or database_path(pipeline)
    if not path.is_file():
        raise WarehouseError(f"no warehouse file at {path}: run `teamup-etl load` first")
    if busy_timeout is None:
        busy_timeout = configured(EtlSettings).busy_timeout_seconds
    with (
        held_open(path, busy_timeout, read_only=True) as connection,
        tempfile.TemporaryDirectory(prefix="teamup_reader_") as scratch,
    ):
        # A pipeline of its own (and a scratch working dir) whose credentials are the held
        # connection: the configured pipeline's would open the file read-write.
        reader = dlt.pipeline(
            pipeline_name=f"{PIPELINE_NAME}_reader",
            pipelines_dir=scratch,
            destination=make_destination("duckdb", credentials=connection),
            dataset_name=DATASET_NAME,
        )
        with reader.sql_client() as client:
            yield client


def make_pipeline(
    progress: Any = None,
    pipelines_dir: str | None = None,
    database: str | None = None,
    destination: str | None = None,
) -> dlt.Pipeline:
    """The warehouse pipeline, to `destination` (unless given, the configured one); its
    credentials and state come from dlt's configuration
    (DESTINATION__<NAME>__CREDENTIALS, DLT_DATA_DIR), else teamup_warehouse.duckdb here.
    `database`: the credentials instead (a DuckDB file, a PostgreSQL URL)."""
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=pipelines_dir,  # type: ignore[arg-type]  # dlt's default is None, typed str
        destination=make_destination(destination, credentials=database),
        dataset_name=DATASET_NAME,
        progress=progress,
    )
