"""What CI asks of the suite: a missing server or browser fails, Hypothesis derandomized."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tests.conftest import hypothesis_profile


def outcome(missing, variable: str) -> tuple[str, str]:
    """What missing(...) made of the test: skipped or failed, and the line it gave."""
    try:
        missing(variable, "it is not here")
    except pytest.skip.Exception as skipped:
        return "skipped", str(skipped)
    except pytest.fail.Exception as failed:
        return "failed", str(failed)
    raise AssertionError("missing() let the test go on")


@pytest.mark.parametrize("variable", ["TEAMUP_REQUIRE_POSTGRES", "TEAMUP_REQUIRE_BROWSER"])
def test_what_ci_requires_fails_instead_of_skipping(missing, monkeypatch, variable):
    monkeypatch.delenv(variable, raising=False)
    assert outcome(missing, variable) == ("skipped", "it is not here")
    monkeypatch.setenv(variable, "1")
    assert outcome(missing, variable) == ("failed", f"{variable}=1 but it is not here")


def test_ci_runs_hypothesis_derandomized():
    assert hypothesis_profile({"TEAMUP_HYPOTHESIS_PROFILE": "ci"}) == "ci"  # what .ci/run sets
    assert hypothesis_profile({"CI": "true"}) == "ci"
    assert hypothesis_profile({"CI": "true", "TEAMUP_HYPOTHESIS_PROFILE": "dev"}) == "dev"
    assert hypothesis_profile({}) is None  # a developer's run: Hypothesis' own choice
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None
