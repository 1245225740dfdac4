"""The windows: watermark less the overlap, to the end of the API's clock's second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sources.teamup.exactness.window import CLOCK_RESOLUTION, Window, run_windows

CLOCK = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # a Date header: to the second
MARK = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
OVERLAP, NO_LAG = timedelta(minutes=10), timedelta(0)


def test_both_tables_read_from_their_watermark_less_the_overlap_to_the_clocks_second_end():
    windows = run_windows(MARK, MARK - timedelta(hours=1), CLOCK, OVERLAP, NO_LAG)
    assert windows.until == datetime(2026, 11, 25, 6, 0, 1, tzinfo=UTC)
    assert windows.grouped == Window(datetime(2026, 11, 24, 5, 50, tzinfo=UTC), windows.until)
    assert windows.invoices == Window(datetime(2026, 11, 24, 4, 50, tzinfo=UTC), windows.until)
    assert windows.invoice_window_covers_grouped


def test_a_change_in_the_same_second_as_the_clock_is_read_and_the_watermark_stays_behind():
    windows = run_windows(MARK, MARK, CLOCK, OVERLAP, NO_LAG)
    change = CLOCK + timedelta(milliseconds=400)  # before the run, in the Date header's second
    assert windows.grouped is not None and change <= windows.grouped.until
    assert windows.watermark == CLOCK  # never past what was read
    assert timedelta(seconds=1) == CLOCK_RESOLUTION


def test_a_lag_leaves_the_last_moments_to_the_next_run():
    windows = run_windows(MARK, MARK, CLOCK, OVERLAP, timedelta(minutes=1))
    assert windows.watermark == datetime(2026, 11, 25, 5, 59, tzinfo=UTC)
    assert windows.until == datetime(2026, 11, 25, 5, 59, 1, tzinfo=UTC)


def test_a_table_never_loaded_has_no_window():
    windows = run_windows(None, MARK, CLOCK, OVERLAP, NO_LAG)
    assert windows.grouped is None and windows.invoices is not None
    assert not windows.invoice_window_covers_grouped
    assert run_windows(MARK, None, CLOCK, OVERLAP, NO_LAG).invoices is None


def test_an_invoice_window_that_starts_later_cannot_name_the_grouped_partitions():
    windows = run_windows(MARK, MARK + timedelta(seconds=1), CLOCK, OVERLAP, NO_LAG)
    assert not windows.invoice_window_covers_grouped
