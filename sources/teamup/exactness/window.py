"""The incremental windows of one provider's run: what each table reads of updated_at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    """Invoices updated in [since, until], both ends inclusive."""

    since: datetime
    until: datetime


# The API's clock comes from the HTTP Date header, to the second: the run started somewhere
# in the second it names. Reading to that second's end takes in every change stamped before
# the run began (and perhaps a few made in its first moments, which the next run reads
# again); the watermark stays at the second's start, never past what was read.
CLOCK_RESOLUTION = timedelta(seconds=1)


@dataclass(frozen=True)
class Windows:
    """The run's windows; None for a table never loaded for this provider (read whole)."""

    until: datetime  # where both windows end
    watermark: datetime  # both tables' new watermark: at or before `until`
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
    """[watermark - overlap, clock - lag + the clock's resolution] for each table; the new
    watermark is clock - lag. The overlap re-reads a margin before the watermark (commits
    the API stamps late); a lag, 0 by default, would leave the last moments to the next run."""
    watermark = clock - lag
    until = watermark + CLOCK_RESOLUTION

    def window(mark: datetime | None) -> Window | None:
        return None if mark is None else Window(mark - overlap, until)

    return Windows(until, watermark, window(grouped_mark), window(invoice_mark))
