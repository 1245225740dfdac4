"""The settings a developer's shell may hold, cleared so that every test starts from none."""

from __future__ import annotations

import os

import pytest

# Every section we or dlt use, dlt's own variables, and the keys dlt falls back to without a
# section.
DLT_SETTINGS = (
    "SOURCES__",
    "DESTINATION__",
    "RUNTIME__",
    "TEAMUP_ETL",
    "MODELS__",
    "EXTRACT__",
    "NORMALIZE__",
    "LOAD__",
    "DATA_WRITER__",
    "SCHEMA__",
    "DLT_",
)
BARE_SETTINGS = {"BASE_URL", "API_TOKEN", "PROVIDER_ID", "START_DATE", "GROUPED_COLUMNS"}


def clear_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset every variable dlt or the pipeline would read (restored with the monkeypatch)."""
    for name in list(os.environ):
        if name.startswith(DLT_SETTINGS) or name in BARE_SETTINGS:
            monkeypatch.delenv(name)
