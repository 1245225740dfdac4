"""dlt column hints of the tables: types, nullability, and the hard-delete flag of tombstones."""

from __future__ import annotations

from typing import Any

from .invoices import MONEY_COLUMNS

GROUPED_COLUMN_HINTS: dict[str, Any] = {
    "provider_id": {"data_type": "bigint", "nullable": False},
    "partition_key": {"data_type": "text", "nullable": False},
    # The group's identity, but not dlt's primary key: a merge on two keys deletes with
    # `group_key = ... OR partition_key = ...`, which DuckDB can only run as a nested loop
    # (12 minutes for a 300,000-invoice backfill). Replacing whole partitions needs only
    # partition_key; a run never yields one group twice. False, not absent: it also clears the
    # hint from warehouses loaded before.
    "group_key": {"data_type": "text", "nullable": False, "primary_key": False},
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
