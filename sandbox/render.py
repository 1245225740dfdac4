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


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, Decimal):
        out[prefix] = _decimal_text(value)
    else:
        out[prefix] = "" if value is None else value


def to_csv(rows: list[dict[str, Any]], headers: list[dict[str, Any]]) -> bytes:
    """One line per row; nested objects become dot-notation columns (customer.name)."""
    flat_rows = []
    fieldnames: dict[str, None] = {}
    for row in rows:
        flat: dict[str, Any] = {}
        _flatten(row, "", flat)
        flat_rows.append(flat)
        fieldnames.update(dict.fromkeys(flat))
    if not rows:
        fieldnames = dict.fromkeys(header["key"] for header in headers)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(flat_rows)
    return buffer.getvalue().encode("utf-8")


def error_body(code: str, message: str, kind: str, field_errors: dict | None = None) -> bytes:
    """TeamUp's error envelope."""
    return to_json(
        {"code": code, "message": message, "type": kind, "field_errors": field_errors or {}}
    )
