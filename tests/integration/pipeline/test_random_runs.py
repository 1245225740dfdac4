"""Random sequences of changes, loads and backfills: after every run, equal to a fresh load."""

# TEAMUP_RANDOM_RUNS sets how many sequences (6 locally, 50 in CI through .ci/run; raise it for
# a long run); each is reproducible from its seed, shown in the test id.

from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest

from tests.support.changes import random_change

RUNS = int(os.environ.get("TEAMUP_RANDOM_RUNS", "6"))


@pytest.mark.parametrize("seed", range(RUNS), ids=[f"seed-{n}" for n in range(RUNS)])
def test_random_changes_loads_and_backfills_stay_exact(make_harness, seed):
    rng = random.Random(seed)
    harness = make_harness(invoices=400, seed=seed + 1)
    harness.load()
    for _step in range(2):
        for _ in range(rng.randrange(1, 8)):
            random_change(harness.sandbox, rng)
        harness.later(minutes=rng.choice((2, 30, 600)))
        if rng.random() < 0.25:
            months = sorted({i.due_date for i in harness.sandbox.invoices()})
            first = rng.choice(months)
            harness.backfill(first, first + timedelta(days=rng.randrange(0, 90)))
        harness.load()
        harness.assert_exact()
