"""The source's watermarks in dlt's source state: written with the load, read back by status."""

# Layout: state["sources"]["teamup"][table]["watermarks"][provider id] = ISO instant, for the
# two tables read incrementally. dlt commits the source state with the load package, so a
# watermark moves only with the rows it stands for. `dlt pipeline ... drop <table>` drops a
# table but not this state: backfill the history after one.

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .settings import GROUPED_TABLE, INVOICES_TABLE, WATERMARKED_TABLES

SOURCE_NAME = "teamup"


@dataclass(frozen=True)
class Watermarks:
    """How far each table has read updated_at for one provider; None: never loaded."""

    grouped: datetime | None
    invoices: datetime | None


def provider_watermarks(state: MutableMapping[str, Any], provider: int) -> Watermarks:
    """The provider's watermarks in the running source's state (dlt.current.source_state())."""
    return Watermarks(
        _instant(_marks(state, GROUPED_TABLE).get(str(provider))),
        _instant(_marks(state, INVOICES_TABLE).get(str(provider))),
    )


def write_watermark(state: MutableMapping[str, Any], provider: int, until: datetime) -> None:
    """Both tables have read up to `until` (their run shares one window end)."""
    for table in WATERMARKED_TABLES:
        _marks(state, table)[str(provider)] = until.isoformat()


def read_watermarks(pipeline_state: Mapping[str, Any]) -> dict[str, str]:
    """The grouped table's watermark per provider, from a pipeline's state (pipeline.state)."""
    source = pipeline_state.get("sources", {}).get(SOURCE_NAME, {})
    return dict(source.get(GROUPED_TABLE, {}).get("watermarks", {}))


def _marks(state: MutableMapping[str, Any], table: str) -> dict[str, str]:
    return state.setdefault(table, {}).setdefault("watermarks", {})


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
