"""What a run did, summed over its providers, for the caller's summary line and run history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .orchestrator import ProviderPlan


@dataclass
class RunStats:
    """Filled in by the source as each provider's run is planned and streamed; read by the
    caller afterwards (dlt runs the source inside pipeline.run, so nothing is returned)."""

    requests: int = 0
    search_requests: int = 0  # of those, spent finding invoices deleted without a trace
    months_refreshed: int = 0
    partitions_refreshed: int = 0
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    watermarks: dict[str, str] = field(default_factory=dict)
    providers_expected: int = 0  # of the whole run, for progress: each provider is one load
    providers_done: int = 0
    # What the run's records held that the API docs do not describe (records/unforeseen.py)
    unforeseen: Counter = field(default_factory=Counter)

    def planned(self, provider: int, plan: ProviderPlan) -> None:
        self.search_requests += plan.grouped.search_requests
        self.months_refreshed += len(plan.grouped.whole_months)
        self.partitions_refreshed += plan.grouped.partitions_refreshed
        window = plan.windows.grouped if plan.windows else None
        if window is not None:
            self.windows[str(provider)] = (window.since.isoformat(), window.until.isoformat())

    def committed(self, provider: int, plan: ProviderPlan) -> None:
        if plan.watermark is not None:
            self.watermarks[str(provider)] = plan.watermark.isoformat()
