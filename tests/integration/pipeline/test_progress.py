"""Progress on dlt's collector: months and pages done of those expected, requests and rows."""

from __future__ import annotations

import io

import dlt
from dlt.common.runtime.collector import Collector, LogCollector

from pipelines import runs
from sources.teamup.refresh.progress import Progress


class Recording(Collector):
    """Keeps every counter: value and total, per name and label."""

    def __init__(self) -> None:
        self.step = ""
        self.counters: dict[str, list[int | None]] = {}

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None):
        key = f"{name} ({label})" if label else name
        counter = self.counters.setdefault(key, [0, total])
        counter[0] += inc
        if inc_total and counter[1] is not None:
            counter[1] += inc_total

    def _start(self, step: str) -> None:
        pass

    def _stop(self) -> None:
        pass


def test_a_full_load_counts_months_and_pages_to_their_totals(harness):
    collector = Recording()
    summary = runs.load(progress=collector)
    counters = collector.counters
    months = len({i.due_date.replace(day=1) for i in harness.sandbox.invoices()})
    assert counters["months (grouped)"] == [months, months]
    assert counters["months (invoices)"] == [months, months]
    for label in ("grouped", "invoices"):
        done, expected = counters[f"pages ({label})"]
        assert done == expected > 0  # estimated from the checksum, then corrected
    assert counters["requests"][0] == summary.requests
    assert counters["rows"][0] > len(harness.sandbox.invoices())  # invoices and groups


def test_the_log_collector_prints_the_counters(harness):
    out = io.StringIO()
    runs.load(progress=dlt.progress.log(log_period=0.01, logger=out, dump_system_stats=False))
    text = out.getvalue()
    assert "months (grouped):" in text and "pages (invoices):" in text


def test_a_franchise_counts_providers_done_of_those_expected(make_harness, monkeypatch):
    """dlt's collectors start each step's counters afresh: each provider's extract shows how
    many providers are done before it, of all of them."""
    make_harness(providers=3, invoices=300)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")

    class Steps(Recording):
        def __init__(self) -> None:
            super().__init__()
            self.shown: list[list[int | None]] = []

        def _start(self, step: str) -> None:
            self.counters = {}

        def _stop(self) -> None:
            if "providers" in self.counters:
                self.shown.append(self.counters["providers"])

    collector = Steps()
    summary = runs.load(progress=collector)
    assert collector.shown == [[0, 3], [1, 3], [2, 3]]
    assert summary.providers_done == summary.providers_expected == 3
    assert "3 of 3 providers committed" in summary.line()


def test_a_load_without_a_collector_prints_nothing(harness, capfd):
    """As cron and the tests run it: not a line on stdout or stderr (the CLI prints the
    summary itself)."""
    runs.load()
    assert capfd.readouterr() == ("", "")


def test_progress_without_a_pipeline_or_a_started_collector_prints_nothing(capfd):
    Progress().done("months")  # no pipeline is active: dlt's null collector
    idle = LogCollector(log_period=0, dump_system_stats=False)  # not started: refuses updates
    progress = Progress(idle)
    progress.expect("months", 3)
    progress.done("months")
    progress.requests(5)
    assert capfd.readouterr() == ("", "")
