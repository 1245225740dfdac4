"""The pipeline tests' harness, shared: the models are tested against real loads."""

from __future__ import annotations

from tests.pipeline.conftest import Harness, harness, make_harness

__all__ = ["Harness", "harness", "make_harness"]
