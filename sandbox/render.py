"""Response bodies: JSON with exact decimal numbers, CSV flattened to dot-notation headers."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

# json cannot write a Decimal as a number; a marker string is swapped for the digits afterwards,
# so 19.99 stays the text 19.99 and never passes through a float.
_MARK = "\x00dec:"
_MARKED = re.compile(r'"\\u0000dec:(-?[0-9.]+)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{_decimal_text(value)}"
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _decimal_text(value: Decimal) -> str:
    """Shortest form, as a float-based API would write it: 45.00 -> 45, 59.50 -> 59.5."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def to_json(payload: Any) -> bytes:
    text = json.dumps(payload, default=_mark, ensure_ascii=False, separators=(",", ":"))
    return _MARKED.sub(r"\1", text).encode("utf-8")


def _lookup(row: dict[str, Any], key: str) -> Any:
    value: Any = row
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dict | list):  # lists and free-form objects: one JSON cell
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


def to_csv(rows: list[dict[str, Any]], keys: list[str]) -> bytes:
    """One line per row under a header of dot-notation keys (customer.name); a missing or
    null object leaves its cells empty, so every page of a report has the same header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(keys)
    writer.writerows([_cell(_lookup(row, key)) for key in keys] for row in rows)
    return buffer.getvalue().encode("utf-8")


def error_body(code: str, message: str, kind: str, field_errors: dict | None = None) -> bytes:
    """TeamUp's error envelope."""
    return to_json(
        {"code": code, "message": message, "type": kind, "field_errors": field_errors or {}}
    )
