"""How a run ends, as values: each provider's outcome, then the views', then the reconciliation;
the run's outcome, its exit code and its own run_history row decided from them here alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .failures.errors import (
    ProvidersFailedError,
    ReconciliationError,
    ViewsFailedError,
    ends_the_run,
    exit_code,
)
from .failures.messages import one_line, redact
from .failures.unwrap import error_line
from .warehouse.reconcile import MonthMismatch, describe
from .warehouse.run_history import FAILED, SUCCEEDED, VIEWS_FAILED

if TYPE_CHECKING:
    from sources.teamup import RunStats

    from .audit import AuditResult


@dataclass(frozen=True)
class ProviderOutcome:
    """One provider's part of a run: its refresh committed (error None) or failed; after a
    committed refresh, its audit ran (audit), failed (audit_error) or was not due."""

    provider: int
    stats: RunStats
    rows_loaded: Mapping[str, int] = field(default_factory=dict)
    error: BaseException | None = None  # the refresh failed: nothing of it committed
    audit: AuditResult | None = None  # None: no audit this run (a first load, a backfill)
    audit_error: BaseException | None = None  # the audit failed; the refresh is committed
    load_ids: tuple[str, ...] = ()  # dlt's, the refresh's and its audit's
    recorded: bool = False  # its run_history row is written

    @property
    def committed(self) -> bool:
        return self.error is None

    @property
    def failure(self) -> BaseException | None:
        """What went wrong for this provider, the refresh's or else the audit's."""
        return self.error or self.audit_error

    @property
    def ends_run(self) -> bool:
        """Its failure is one the next provider would share: the run stops here."""
        return self.failure is not None and ends_the_run(self.failure)


@dataclass(frozen=True)
class Views:
    """The views' build: the views built, or why they were not."""

    built: tuple[str, ...] = ()
    failure: BaseException | None = None


@dataclass(frozen=True)
class RunOutcome:
    """How a command ends: the error it ends with (None: it succeeded) and the run's own
    run_history row (own_row None: none, its providers' rows say how it ended)."""

    failure: BaseException | None = None
    own_row: str | None = None  # SUCCEEDED, FAILED or VIEWS_FAILED
    views_built: bool = False  # the analyst copy is published: its views are the run's

    @property
    def exit_code(self) -> int:
        return 0 if self.failure is None else exit_code(self.failure)

    @property
    def error(self) -> str | None:
        """The line the run's own row keeps, as the CLI prints it."""
        return None if self.failure is None else error_line(self.failure)


def goes_on(providers: Sequence[ProviderOutcome]) -> bool:
    """Whether the run goes on to the views: it did not stop at a provider, and at least one
    committed."""
    return any(p.committed for p in providers) and not providers[-1].ends_run


def run_outcome(
    providers: Sequence[ProviderOutcome],
    views: Views | None,
    mismatched: Sequence[MonthMismatch],
    strict: bool,
) -> RunOutcome:
    """How a load or backfill ended, from its providers (in the order run: one whose failure
    ends the run is the last), its views (None: not built, see goes_on) and what the
    reconciliation found."""
    if not providers:
        raise ValueError("a run has at least one provider")
    if not goes_on(providers):
        return _ended_by(providers)
    if views is None:
        raise ValueError("a run that goes on builds its views")
    if views.failure is not None:
        done = sum(p.committed for p in providers)
        failure = ViewsFailedError(
            f"{done} of {len(providers)} providers committed; the views failed: "
            + error_line(views.failure),
            views.failure,
        )
        return RunOutcome(failure, VIEWS_FAILED)
    ending = provider_failure(providers) or unreconciled(mismatched, strict)
    own = None if ending is None or _said_by_providers(ending, providers) else FAILED
    return RunOutcome(ending, own, views_built=True)


def _ended_by(providers: Sequence[ProviderOutcome]) -> RunOutcome:
    """The run stopped at its providers: the last one's failure, which every provider would
    share, else (each failed) all of theirs."""
    stopped = providers[-1].ends_run
    ending = providers[-1].failure if stopped else provider_failure(providers)
    own = None if _said_by_providers(ending, providers) else FAILED
    return RunOutcome(ending, own)


def _said_by_providers(ending: BaseException | None, providers: Sequence[ProviderOutcome]) -> bool:
    """The ending is a provider's refresh failure that its own row records: the run's own
    row need not say it again. An audit's failure is not (its provider's row says succeeded)."""
    return any(p.error is ending and p.recorded for p in providers)


def provider_failure(providers: Sequence[ProviderOutcome]) -> BaseException | None:
    """The error a run with failed providers ends with: a lone provider's own refresh
    failure, else one naming each failed provider and each failed audit (whose refresh is
    committed). The exit code is the first one's."""
    failed = {p.provider: p.error for p in providers if p.error is not None}
    audits = {p.provider: p.audit_error for p in providers if p.audit_error is not None}
    if not failed and not audits:
        return None
    if len(providers) == 1 and failed:
        return next(iter(failed.values()))
    done = len(providers) - len(failed)
    message = f"{done} of {len(providers)} providers committed"
    if failed:
        message += "; failed: " + _provider_lines(failed)
    if audits:
        message += "; the audit failed: " + _provider_lines(audits)
    return ProvidersFailedError(message, [*failed.values(), *audits.values()])


def _provider_lines(errors: Mapping[int, BaseException]) -> str:
    return "; ".join(f"provider {p}: {redact(one_line(error))}" for p, error in errors.items())


def unreconciled(mismatched: Sequence[MonthMismatch], strict: bool) -> ReconciliationError | None:
    """The error a strict run ends with when the invoice tables disagree."""
    if not (mismatched and strict):
        return None
    return ReconciliationError(
        f"invoice counts differ between invoices_grouped and invoices in "
        f"{len(mismatched)} due months: {describe(list(mismatched))}",
        list(mismatched),
    )


def models_outcome(views: Views, mismatched: Sequence[MonthMismatch], strict: bool) -> RunOutcome:
    """How `teamup-etl models` ended: its own row, succeeded or failed."""
    if views.failure is not None:
        return RunOutcome(views.failure, FAILED)
    ending = unreconciled(mismatched, strict)
    return RunOutcome(ending, SUCCEEDED if ending is None else FAILED, views_built=True)


def failed_run(failure: BaseException) -> RunOutcome:
    """A run that failed itself (not at a provider, not its views): its own row says why."""
    return RunOutcome(failure, FAILED)
