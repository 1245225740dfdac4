"""dlt source for TeamUp's invoice reports: grouped counts, invoices, customers, column metadata."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from .client import ReportClient
from .exceptions import ConfigurationError, MalformedResponseError
from .invoices import InvoiceBatch, InvoiceRefresh
from .normalize import (
    MONEY_COLUMNS,
    customer_record,
    grouped_record,
    report_column_records,
    tombstone,
)
from .refresh import Batch, GroupedRefresh, RefreshSettings
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_GROUPED_COLUMNS,
    DEFAULT_LAG_SECONDS,
    DEFAULT_OVERLAP_SECONDS,
    DEFAULT_PROVIDER,
)
from .warehouse import EmptyWarehouse, Warehouse

logger = logging.getLogger(__name__)

GROUPED_COLUMN_HINTS: dict[str, Any] = {
    "provider_id": {"data_type": "bigint", "nullable": False},
    "partition_key": {"data_type": "text", "nullable": False},
    "group_key": {"data_type": "text", "nullable": False},
    "due_month": {"data_type": "date", "nullable": False},
    "invoice_count": {"data_type": "bigint", "nullable": False},
    "customer_id": {"data_type": "bigint"},
    "status": {"data_type": "text"},
    "purchase_type": {"data_type": "text"},
    "payment_processor": {"data_type": "text"},
    "due_date_year": {"data_type": "bigint"},
    "due_date_month": {"data_type": "bigint"},
    "payment_year": {"data_type": "bigint"},
    "payment_month": {"data_type": "bigint"},
    "payout_year": {"data_type": "bigint"},
    "payout_month": {"data_type": "bigint"},
    "purchased_item_id": {"data_type": "bigint"},
    "purchased_item_name": {"data_type": "text"},
    "purchase_fee_type": {"data_type": "text"},
    # Tombstones carry is_deleted = true: they delete their partition and are never inserted.
    "is_deleted": {"data_type": "bool", "hard_delete": True},
}


INVOICE_COLUMN_HINTS: dict[str, Any] = {
    "provider_id": {"data_type": "bigint", "nullable": False},
    "id": {"data_type": "bigint", "nullable": False},
    "number": {"data_type": "text"},
    "status": {"data_type": "text"},
    "due_date": {"data_type": "date"},
    "due_month": {"data_type": "date"},
    "confirmed_at": {"data_type": "timestamp"},
    "paid_at": {"data_type": "timestamp"},
    "updated_at": {"data_type": "timestamp"},
    "is_credit_note": {"data_type": "bool"},
    "refunded_invoice_id": {"data_type": "bigint"},
    "customer_id": {"data_type": "bigint"},
    "purchase_type": {"data_type": "text"},
    "payment_processor": {"data_type": "text"},
    "refund_date": {"data_type": "date"},
    "currency": {"data_type": "text"},
    # Money is DECIMAL(18,2) from the JSON text on: parsed as Decimal, never a float.
    **{column: {"data_type": "decimal", "precision": 18, "scale": 2} for column in MONEY_COLUMNS},
    "partition_key": {"data_type": "text"},
    "is_deleted": {"data_type": "bool", "hard_delete": True},
}


@dataclass
class RunStats:
    """Filled in while the source runs; read by the caller afterwards."""

    requests: int = 0
    months_refreshed: int = 0
    partitions_refreshed: int = 0
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    watermarks: dict[str, str] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict) -> RunStats:
        return self  # dlt deep-copies source arguments; this one is shared with the caller


def parse_provider_ids(value: str | int | Sequence[Any] | None) -> list[int | None]:
    """'1,2' -> [1, 2]; nothing -> [None] (the token's only provider, no header sent)."""
    if value is None or value == "":
        return [None]
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return [int(str(part).strip()) for part in parts if str(part).strip()]
    except ValueError:
        raise ConfigurationError(
            f"provider_id must be integers, comma-separated: {value!r}"
        ) from None


def parse_start_date(value: str | date | None) -> date | None:
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigurationError(f"start_date must be YYYY-MM-DD, not {value!r}") from None


@dlt.source(name="teamup", max_table_nesting=0)
def teamup_source(
    api_token: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    auth_scheme: str = "Token",
    provider_id: str | None = None,
    start_date: str | None = None,
    grouped_columns: list[str] | None = None,
    overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
    lag_seconds: int = DEFAULT_LAG_SECONDS,
    warehouse: Any = None,
    backfill: tuple[date, date] | None = None,
    stats: RunStats | None = None,
) -> list[DltResource]:
    """TeamUp's grouped invoice report as three tables, each run exact (see refresh.py).

    Args:
        api_token: the TeamUp API token (a secret; never logged).
        base_url: the API root, https://goteamup.com/api/v2 unless testing.
        auth_scheme: "Token" (TeamUp's own) or "Bearer".
        provider_id: one id, or several comma-separated, each loaded with its rows tagged.
        start_date: the earliest due date loaded (YYYY-MM-DD); none: the whole history.
        grouped_columns: the grouped report's attribute columns; every documented one by
            default. (Not `columns`: dlt would also read a bare COLUMNS, the terminal width.)
        overlap_seconds, lag_seconds: the incremental window's margins (see settings.py).
        warehouse: what is loaded already (pipeline.sql_client); nothing: a first load.
        backfill: (first, last) due dates: replace those months, leave the watermark.
        stats: filled with request and refresh counts for the caller's summary.
    """
    settings = RefreshSettings(
        columns=tuple(c for c in (grouped_columns or DEFAULT_GROUPED_COLUMNS) if c != "count"),
        start_date=parse_start_date(start_date),
        overlap=timedelta(seconds=overlap_seconds),
        lag=timedelta(seconds=lag_seconds),
    )
    providers = parse_provider_ids(provider_id)
    if auth_scheme not in ("Token", "Bearer"):
        raise ConfigurationError(f"auth_scheme must be Token or Bearer, not {auth_scheme!r}")
    run_stats = stats if stats is not None else RunStats()
    known: Warehouse = warehouse or EmptyWarehouse()
    seen_headers: list[dict[str, Any]] = []

    @dlt.resource(selected=False)
    def grouped_batches() -> Iterator[Batch | InvoiceBatch]:
        state = dlt.current.source_state()
        grouped_marks: dict[str, str] = state.setdefault("invoices_grouped", {}).setdefault(
            "watermarks", {}
        )
        invoice_marks: dict[str, str] = state.setdefault("invoices", {}).setdefault(
            "watermarks", {}
        )
        for pid in providers:
            stored_id = DEFAULT_PROVIDER if pid is None else pid
            key = str(stored_id)
            client = ReportClient(base_url, api_token, auth_scheme, pid)
            refresh = GroupedRefresh(client, known, stored_id, settings)
            invoices = InvoiceRefresh(client, known, stored_id, settings.start_date, refresh.stats)
            try:
                if backfill:
                    yield from refresh.backfill(*backfill)
                    yield from invoices.backfill(*backfill)
                    continue
                for item in refresh.load(_instant(grouped_marks.get(key))):
                    if isinstance(item, datetime):
                        grouped_marks[key] = run_stats.watermarks[key] = item.isoformat()
                    else:
                        yield item
                marks = invoices.load(
                    _instant(invoice_marks.get(key)), settings.overlap, settings.lag
                )
                for item in marks:
                    if isinstance(item, datetime):
                        invoice_marks[key] = item.isoformat()
                    else:
                        yield item
            finally:
                run_stats.requests += client.requests_made
                run_stats.months_refreshed += len(refresh.stats.months_refreshed)
                run_stats.partitions_refreshed += refresh.stats.partitions_refreshed
                if refresh.stats.window:
                    since, until = refresh.stats.window
                    run_stats.windows[key] = (since.isoformat(), until.isoformat())

    @dlt.transformer(
        data_from=grouped_batches,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="group_key",
        merge_key="partition_key",
        columns=GROUPED_COLUMN_HINTS,
    )
    def invoices_grouped(batch: Batch | InvoiceBatch) -> Iterator[list[dict[str, Any]]]:
        if not isinstance(batch, Batch):
            return
        records = [
            tombstone(batch.provider_id, key, month) for key, month in batch.replaced.items()
        ]
        try:
            records += [
                grouped_record(row, settings.columns, batch.provider_id, settings.by_customer)
                for row in batch.rows
            ]
        except MalformedResponseError as error:
            raise error.at(batch.request) from None
        yield records

    @dlt.transformer(
        data_from=grouped_batches,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=("provider_id", "id"),
        columns={"name": {"data_type": "text"}, "email": {"data_type": "text"}},
    )
    def customers(batch: Batch | InvoiceBatch) -> Iterator[list[dict[str, Any]]]:
        if not isinstance(batch, Batch):
            return
        found = (customer_record(row, batch.provider_id) for row in batch.rows)
        yield list({record["id"]: record for record in found if record}.values())

    @dlt.transformer(
        data_from=grouped_batches,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="key",
    )
    def report_columns(batch: Batch | InvoiceBatch) -> Iterator[list[dict[str, Any]]]:
        if not isinstance(batch, Batch):
            return
        records = report_column_records(batch.column_headers)
        if records and records != seen_headers:  # the same headers come with every page
            seen_headers[:] = records
            yield records

    @dlt.transformer(
        data_from=grouped_batches,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=("provider_id", "id"),
        columns=INVOICE_COLUMN_HINTS,
    )
    def invoices(batch: Batch | InvoiceBatch) -> Iterator[list[dict[str, Any]]]:
        if not isinstance(batch, InvoiceBatch):
            return
        gone = [
            {"provider_id": batch.provider_id, "id": i, "is_deleted": True}
            for i in batch.deleted_ids
        ]
        yield [*gone, *batch.records]

    return [grouped_batches, invoices_grouped, customers, report_columns, invoices]


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
