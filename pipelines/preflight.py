"""What a run reads only late, checked as it begins: a bad value fails it before it changes
anything (and is recorded as the run's failure). dlt's request settings: settings.check_requests."""

from __future__ import annotations

from .settings import EtlSettings, ModelSettings, configured
from .warehouse.destination import configured_duckdb_file
from .warehouse.duckdb_file import analyst_copy_path


def before_run(settings: EtlSettings) -> ModelSettings:
    """load, backfill and models: the views' settings, resolved and checked now, and the
    analyst copy's place (beside the working file, which needs the destination's settings)."""
    models = configured(ModelSettings)
    if settings.destination == "duckdb":
        analyst_copy_path(configured_duckdb_file(), settings.analyst_copy)
    return models
