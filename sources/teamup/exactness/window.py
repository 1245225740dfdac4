"""The incremental windows of one provider's run: what each table reads of updated_at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    """Invoices updated in [since, until], both ends inclusive."""

    since: datetime
    until: datetime


@dataclass(frozen=True)
class Windows:
    """The run's windows; None for a table never loaded for this provider (read whole)."""

    until: datetime  # the end of both, and so both tables' new watermark
    grouped: Window | None
    invoices: Window | None

    @property
    def invoice_window_covers_grouped(self) -> bool:
        """The invoice-level window starts no later than the grouped one: its changes can name
        the grouped partitions touched (not so on the first run after an upgrade)."""
        return (
            self.grouped is not None
            and self.invoices is not None
            and self.invoices.since <= self.grouped.since
        )


def run_windows(
    grouped_mark: datetime | None,
    invoice_mark: datetime | None,
    clock: datetime,
    overlap: timedelta,
    lag: timedelta,
) -> Windows:
    """[watermark - overlap, clock - lag] for each table. The overlap re-reads a margin before
    the watermark (late commits on the API's side); the lag leaves out the last moments."""
    until = clock - lag

    def window(mark: datetime | None) -> Window | None:
        return None if mark is None else Window(mark - overlap, until)

    return Windows(until, window(grouped_mark), window(invoice_mark))
