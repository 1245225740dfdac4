"""Progress counters never fail a run and are silent without a pipeline."""

from __future__ import annotations

from dlt.common.runtime.collector import LogCollector

from sources.teamup.refresh.progress import Progress


def test_progress_is_silent_without_a_pipeline_or_a_started_collector():
    Progress().done("months")  # whatever pipeline is active, if any: never raises
    idle = LogCollector(dump_system_stats=False)  # not started: its counters are None
    progress = Progress(idle)
    progress.expect("months", 3)
    progress.done("months")
    progress.requests(5)
