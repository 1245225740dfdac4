"""Random sequences of changes, loads and backfills: after every run, the oracle's rows."""

# TEAMUP_RANDOM_RUNS sets how many sequences (6 locally, 50 in CI through .ci/run; raise it for
# a long run); each is reproducible from its seed, shown in the test id. After every load the
# warehouse is checked against tests/support/oracle.py (computed from the sandbox's data, not
# by the pipeline) and then against a fresh full load (Harness.assert_exact).

from __future__ import annotations

import os
import random

import pytest

from tests.support.changes import random_sequence

RUNS = int(os.environ.get("TEAMUP_RANDOM_RUNS", "6"))


@pytest.mark.parametrize("seed", range(RUNS), ids=[f"seed-{n}" for n in range(RUNS)])
def test_random_changes_loads_and_backfills_stay_exact(make_harness, seed):
    rng = random.Random(seed)
    harness = make_harness(invoices=400, seed=seed + 1, audit=True)  # as shipped
    random_sequence(harness, rng)
