"""How a run ends, decided from its values alone: each provider's outcome, the views, the
reconciliation; the exit code and the run's own run_history row (docs/operations.md's table
of run endings)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.failures.errors import (
    ApiUnavailableError,
    AuthenticationError,
    ModelError,
    NetworkError,
    ProvidersFailedError,
    ReconciliationError,
    ViewsFailedError,
    WarehouseError,
)
from pipelines.outcome import (
    ProviderOutcome,
    RunOutcome,
    Views,
    failed_run,
    goes_on,
    models_outcome,
    run_outcome,
)
from pipelines.warehouse.reconcile import MonthMismatch
from pipelines.warehouse.run_history import FAILED, SUCCEEDED, VIEWS_FAILED
from sources.teamup import RunStats

BUILT = Views(("monthly_revenue",))
MISMATCH = [MonthMismatch(0, date(2024, 1, 1), 10, 11)]


def committed(provider: int = 0, **values) -> ProviderOutcome:
    return ProviderOutcome(provider, RunStats(), recorded=True, **values)


def failed(provider: int = 0, error: BaseException | None = None, recorded=True):
    error = error or ApiUnavailableError("TeamUp kept failing (503)", endpoint="customers")
    return ProviderOutcome(provider, RunStats(), error=error, recorded=recorded)


def token_rejected() -> AuthenticationError:
    return AuthenticationError("TeamUp rejected the API token", endpoint="customers", status=401)


def ended(providers, views=BUILT, mismatched=(), strict=False) -> RunOutcome:
    return run_outcome(providers, views if goes_on(providers) else None, mismatched, strict)


def test_a_run_whose_providers_committed_succeeds_and_keeps_no_row_of_its_own():
    outcome = ended([committed()])
    assert (outcome.failure, outcome.exit_code, outcome.own_row) == (None, 0, None)
    assert outcome.views_built and outcome.error is None


def test_a_mismatch_without_strict_still_succeeds_with_strict_exits_8():
    assert ended([committed()], mismatched=MISMATCH).exit_code == 0
    strict = ended([committed()], mismatched=MISMATCH, strict=True)
    assert isinstance(strict.failure, ReconciliationError)
    assert (strict.exit_code, strict.own_row, strict.views_built) == (8, FAILED, True)
    assert strict.error is not None and "provider 0 2024-01" in strict.error


def test_a_lone_provider_that_failed_is_said_by_its_own_row():
    provider = failed()
    outcome = ended([provider])
    assert outcome.failure is provider.error
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (5, None, False)


def test_a_provider_failure_whose_row_could_not_be_written_is_the_runs_own_row():
    outcome = ended([failed(recorded=False)])
    assert (outcome.exit_code, outcome.own_row) == (5, FAILED)


def test_a_failure_every_provider_would_share_stops_the_run_at_that_provider():
    """A rejected token at the first of three: the run went no further (one outcome), its
    row says it; the views are not built."""
    provider = failed(1, token_rejected())
    assert not goes_on([provider])
    outcome = ended([provider])
    assert outcome.failure is provider.error
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (3, None, False)


def test_a_stop_after_a_provider_teamup_failed_exits_as_the_stop():
    outcome = ended([failed(1), failed(2, token_rejected())])
    assert (outcome.exit_code, outcome.own_row) == (3, None)


def test_a_franchise_with_a_failed_provider_builds_the_views_and_exits_as_the_failure():
    outcome = ended([committed(1), failed(2), committed(3)])
    assert isinstance(outcome.failure, ProvidersFailedError)
    assert outcome.error is not None
    assert outcome.error.startswith("2 of 3 providers committed; failed: provider 2: TeamUp")
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (5, FAILED, True)


def test_a_franchise_whose_providers_all_failed_stops_before_the_views():
    outcome = ended([failed(1), failed(2, NetworkError("no route")), failed(3)])
    assert isinstance(outcome.failure, ProvidersFailedError)
    assert outcome.error is not None and outcome.error.startswith("0 of 3 providers committed")
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (5, FAILED, False)


def test_a_failed_audit_leaves_the_refresh_committed_and_the_run_failed():
    audit = ApiUnavailableError("TeamUp kept failing (503)", endpoint="invoices")
    outcome = ended([committed(audit_error=audit)])
    assert outcome.error is not None
    assert outcome.error.startswith("1 of 1 providers committed; the audit failed: provider 0")
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (5, FAILED, True)


def test_an_audit_the_warehouse_failed_stops_the_run_and_is_the_runs_own_row():
    audit = WarehouseError("the postgres warehouse failed: connection refused")
    provider = committed(1, audit_error=audit)
    outcome = ended([provider])
    assert outcome.failure is audit
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (7, FAILED, False)


def test_views_that_failed_after_the_data_committed_read_views_failed():
    model = ModelError("sql/marts/my_view.sql: column net_revnue not found")
    outcome = ended([committed()], views=Views(failure=model))
    assert isinstance(outcome.failure, ViewsFailedError)
    assert outcome.error == (
        "1 of 1 providers committed; the views failed: "
        "sql/marts/my_view.sql: column net_revnue not found"
    )
    assert (outcome.exit_code, outcome.own_row, outcome.views_built) == (7, VIEWS_FAILED, False)


def test_a_run_that_goes_on_must_have_built_its_views_and_had_a_provider():
    with pytest.raises(ValueError, match="builds its views"):
        run_outcome([committed()], None, [], False)
    with pytest.raises(ValueError, match="at least one provider"):
        run_outcome([], None, [], False)


def test_the_runs_own_failure_is_its_own_row():
    bug = failed_run(RuntimeError("a bug after the views"))
    assert (bug.exit_code, bug.own_row, bug.error) == (
        1,
        FAILED,
        "RuntimeError: a bug after the views",
    )
    interrupted = failed_run(KeyboardInterrupt())
    assert (interrupted.exit_code, interrupted.error) == (130, "interrupted")


def test_a_models_run_keeps_its_own_row_succeeded_or_failed():
    assert models_outcome(BUILT, [], False) == RunOutcome(None, SUCCEEDED, views_built=True)
    model = ModelError("sql/marts/my_view.sql: no such column")
    rejected = models_outcome(Views(failure=model), [], False)
    assert (rejected.failure, rejected.exit_code, rejected.own_row) == (model, 7, FAILED)
    strict = models_outcome(BUILT, MISMATCH, True)
    assert (strict.exit_code, strict.own_row, strict.views_built) == (8, FAILED, True)
