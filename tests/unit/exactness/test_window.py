"""The windows: watermark less the overlap, to the API's clock less the lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sources.teamup.exactness.window import Window, run_windows

CLOCK = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
MARK = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
OVERLAP, LAG = timedelta(minutes=10), timedelta(minutes=1)


def test_both_tables_read_from_their_watermark_less_the_overlap_to_the_clock_less_the_lag():
    windows = run_windows(MARK, MARK - timedelta(hours=1), CLOCK, OVERLAP, LAG)
    assert windows.until == datetime(2026, 11, 25, 5, 59, tzinfo=UTC)
    assert windows.grouped == Window(datetime(2026, 11, 24, 5, 50, tzinfo=UTC), windows.until)
    assert windows.invoices == Window(datetime(2026, 11, 24, 4, 50, tzinfo=UTC), windows.until)
    assert windows.invoice_window_covers_grouped


def test_a_table_never_loaded_has_no_window():
    windows = run_windows(None, MARK, CLOCK, OVERLAP, LAG)
    assert windows.grouped is None and windows.invoices is not None
    assert not windows.invoice_window_covers_grouped
    assert run_windows(MARK, None, CLOCK, OVERLAP, LAG).invoices is None


def test_an_invoice_window_that_starts_later_cannot_name_the_grouped_partitions():
    windows = run_windows(MARK, MARK + timedelta(seconds=1), CLOCK, OVERLAP, LAG)
    assert not windows.invoice_window_covers_grouped
