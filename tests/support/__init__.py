"""Helpers shared by the tests (fixtures live in tests/conftest.py and folders' conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

# The sandbox clock for tests: fixed, so generated data and windows are reproducible.
TEST_NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
TEST_INVOICES = 1500
