"""What a load or backfill did, summed over its providers: the summary line and its figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .failures.messages import one_line, redact
from .outcome import ProviderOutcome
from .warehouse.reconcile import MonthMismatch


@dataclass
class RunSummary:
    mode: str
    requests: int
    months_refreshed: int
    partitions_refreshed: int
    rows_loaded: dict[str, int]
    seconds: float
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    watermarks: dict[str, str] = field(default_factory=dict)
    # of `requests`, those spent finding invoices deleted without a trace (no deletion feed)
    search_requests: int = 0
    views_built: list[str] = field(default_factory=list)
    # due months whose invoice counts differ between invoices_grouped and invoices
    mismatched_months: list[MonthMismatch] = field(default_factory=list)
    providers_expected: int = 1
    failed: dict[int, str] = field(default_factory=dict)  # provider: its error's one line
    audit_months: int = 0  # the rolling audit's, over all providers (docs/operations.md)
    audit_requests: int = 0
    drift: list[str] = field(default_factory=list)  # what the audit found off, per provider
    # what the loaded records held that the API docs do not describe (loaded all the same)
    unforeseen: Counter = field(default_factory=Counter)

    @property
    def providers_done(self) -> int:
        return self.providers_expected - len(self.failed)

    def line(self) -> str:
        rows = ", ".join(f"{table} {n}" for table, n in self.rows_loaded.items()) or "none"
        searched = f" ({self.search_requests} finding deleted invoices)"
        providers = (
            f"{self.providers_done} of {self.providers_expected} providers committed, "
            if self.providers_expected > 1 or self.failed
            else ""
        )
        audit = (
            f", audit: {self.audit_months} months, {self.audit_requests} requests, "
            + ("DRIFT found" if self.drift else "no drift")
            if self.audit_months
            else ""
        )
        return (
            f"{self.mode}: {providers}{self.months_refreshed} months and "
            f"{self.partitions_refreshed} partitions refreshed, {self.requests} requests"
            f"{searched if self.search_requests else ''}, rows written: {rows}{audit}, "
            f"{self.seconds:.1f}s"
        )

    @classmethod
    def of(cls, mode: str, outcomes: list[ProviderOutcome], seconds: float) -> RunSummary:
        summary = cls(mode, 0, 0, 0, {}, seconds, providers_expected=len(outcomes))
        for outcome in outcomes:
            stats = outcome.stats
            summary.requests += stats.requests
            summary.search_requests += stats.search_requests
            summary.months_refreshed += stats.months_refreshed
            summary.partitions_refreshed += stats.partitions_refreshed
            summary.unforeseen.update(stats.unforeseen)
            summary.windows.update(stats.windows)
            summary.watermarks.update(stats.watermarks)
            for table, n in outcome.rows_loaded.items():
                summary.rows_loaded[table] = summary.rows_loaded.get(table, 0) + n
            if outcome.error is not None:
                summary.failed[outcome.provider] = redact(one_line(outcome.error))
            if outcome.audit is not None:
                summary.audit_months += len(outcome.audit.months)
                summary.audit_requests += outcome.audit.requests
                if outcome.audit.drift:
                    summary.drift.append(f"provider {outcome.provider}: {outcome.audit.detail()}")
        return summary
