"""One real load shared by the report tests, and the pipeline tests' harness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import Sandbox
from sandbox.model import Invoice
from tests.support import TEST_INVOICES, TEST_NOW
from tests.support.environment import clear_settings
from tests.support.harness import Harness

__all__ = ["Loaded", "loaded"]


@dataclass(frozen=True)
class Loaded:
    database: Path
    invoices: list[Invoice]  # the sandbox's own, for expected values computed apart


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """A warehouse from one real load against the sandbox, shared by every report test (a
    load takes seconds): a test that changes the file works on its own copy."""
    workdir = tmp_path_factory.mktemp("loaded")
    with pytest.MonkeyPatch.context() as patch:
        clear_settings(patch)  # session-scoped: the per-test isolation has not run
        patch.chdir(workdir)
        patch.setenv("DLT_DATA_DIR", str(workdir / "dlt_data"))
        with Sandbox(invoices=TEST_INVOICES, now=TEST_NOW) as sandbox:
            loader = Harness(sandbox, workdir, patch)
            loader.load()
            invoices = sandbox.invoices()
    return Loaded(loader.database, invoices)
