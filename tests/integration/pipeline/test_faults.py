"""Rate limits, server errors and broken pages: the run still ends exact, or fails cleanly."""

from __future__ import annotations

import pytest

from sources.teamup.exceptions import ApiUnavailableError, MalformedResponseError


def test_429_with_retry_after_is_waited_out(harness):
    harness.sandbox.faults.throttle(times=2, retry_after=1)
    harness.load()
    assert harness.sandbox.log.count(status=429) == 2
    assert [e.faults for e in harness.sandbox.log.requests(status=429)] == [["throttled"]] * 2
    harness.assert_exact()


# PARALLEL threads ask at once, each answer taking LATENCY_SECONDS, so other requests are in
# flight when a 429 is answered. Those already on their way cannot be held back: at most one
# per other thread. Any request sent once the run knew of the 429 arrives at least
# RETRY_AFTER_SECONDS after the 429 was answered (both stamps of the sandbox, on this
# machine's monotonic clock, the answer causally first), so counting the arrivals in that
# window needs no margin for a loaded machine's scheduling delays.
LATENCY_SECONDS = 0.05
PARALLEL = 4
RETRY_AFTER_SECONDS = 2


def test_a_429_holds_back_every_request_of_the_run_until_its_retry_after(make_harness, monkeypatch):
    # months of several pages: while one month waits out its 429, the others have pages to ask
    harness = make_harness(invoices=4000)
    monkeypatch.setenv("SOURCES__TEAMUP__MAX_PARALLEL_REQUESTS", str(PARALLEL))
    harness.sandbox.faults.latency = LATENCY_SECONDS
    every_seventh = lambda info: info.seq % 7 == 0  # noqa: E731
    harness.sandbox.faults.throttle(times=6, retry_after=RETRY_AFTER_SECONDS, when=every_seventh)
    harness.load()
    log = harness.sandbox.log.requests()
    refused = [e for e in log if e.status == 429]
    assert [e.info.seq for e in refused] == [7, 14, 21, 28, 35, 42]
    for r in refused:
        inside = [
            e.info.seq for e in log if r.answered < e.arrived < r.answered + RETRY_AFTER_SECONDS
        ]
        # only those on their way: none sent inside a Retry-After window, by any thread
        assert len(inside) <= PARALLEL - 1, (r.info.seq, inside)
    harness.sandbox.faults.reset()
    harness.assert_exact()


def test_random_server_errors_are_retried(harness):
    harness.sandbox.faults.error_rate = 0.15
    harness.load()
    assert any("failed" in e.faults for e in harness.sandbox.log.requests())
    assert (
        harness.sandbox.log.count(status=500)
        + harness.sandbox.log.count(status=502)
        + (harness.sandbox.log.count(status=503))
        > 0
    )
    harness.sandbox.faults.error_rate = 0
    harness.assert_exact()


def test_one_malformed_page_is_asked_again(harness):
    harness.sandbox.faults.truncate(when=lambda r: r.endpoint_seq == 3)
    harness.load()
    (cut,) = [e for e in harness.sandbox.log.requests() if "truncated" in e.faults]
    assert any(
        e.info.params == cut.info.params for e in harness.sandbox.log.requests()[cut.info.seq :]
    )
    harness.assert_exact()


def test_an_unstable_order_without_sort_does_not_matter(harness):
    harness.sandbox.faults.unstable_order = True
    harness.load()
    # the switch was on, yet shuffled nothing: every request of the run sorts
    assert harness.sandbox.log.count() > 0
    assert [e.info.seq for e in harness.sandbox.log.requests() if "shuffled" in e.faults] == []
    harness.sandbox.faults.unstable_order = False
    harness.assert_exact()


def test_every_request_asks_for_json_and_a_full_sort(harness):
    harness.load()
    for entry in harness.sandbox.log.requests("invoices.grouped"):
        params = entry.info.params
        assert params["format"] == ["json"]  # the API's default is CSV
        assert params["limit"] == ["100"]
        columns = [c for c in params["columns"] if c != "count"]
        assert set(params["sort"]) == set(columns)


def test_a_persistent_failure_leaves_the_watermark_then_heals(harness):
    harness.load()
    watermark = harness.watermarks()
    before = harness.tables()
    harness.later()
    harness.sandbox.pay(next(i for i in harness.sandbox.invoices() if i.status == "open").id)
    harness.later()
    harness.sandbox.faults.fail(when=lambda r: "updated_at_gte" in r.params, times=None, status=503)
    with pytest.raises(ApiUnavailableError, match="503"):
        harness.load()
    assert harness.watermarks() == watermark
    assert harness.tables() == before
    harness.sandbox.faults.reset()
    harness.load()
    harness.assert_exact()


def test_a_page_that_stays_malformed_fails_naming_the_request(harness):
    harness.sandbox.faults.truncate(when=lambda r: r.endpoint_seq >= 3, times=50)
    with pytest.raises(MalformedResponseError, match=r"invoices\.grouped/data.*offset"):
        harness.load()
    assert harness.watermarks() == {}
    assert any("truncated" in e.faults for e in harness.sandbox.log.requests())
