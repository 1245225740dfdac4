"""Progress counters on dlt's collector: months and pages done of those expected, requests, rows."""

from __future__ import annotations

import logging
from typing import Any

from dlt.common.configuration.container import Container
from dlt.common.pipeline import PipelineContext
from dlt.common.runtime.collector import NULL_COLLECTOR, Collector

logger = logging.getLogger(__name__)


def active_collector() -> Collector:
    """The running pipeline's collector (what `progress=` gave it), else dlt's null one."""
    context = Container()[PipelineContext]
    if not context.is_active():
        return NULL_COLLECTOR
    return getattr(context.pipeline(), "collector", None) or NULL_COLLECTOR


class Progress:
    """Counters of one run. On a terminal the CLI passes dlt's log collector, which prints them
    every few seconds beside dlt's own (rows per table); under cron and in tests nothing shows.

    Only the extract thread calls it (dlt's collectors are not thread-safe), and it never
    fails a run: a collector that refuses an update (one not counting at the moment) is
    dropped with a debug line.
    """

    def __init__(self, collector: Collector | None = None) -> None:
        self._collector = collector if collector is not None else active_collector()
        self._known: set[str] = set()
        self._requests = 0

    @classmethod
    def silent(cls) -> Progress:
        return cls(NULL_COLLECTOR)

    def expect(self, name: str, total: int, label: str | None = None) -> None:
        """`total` more of `name` are expected (the first call sets the counter's total)."""
        key = f"{name}/{label}"
        if key in self._known:
            self._update(name, inc=0, inc_total=total, label=label)
        else:
            self._known.add(key)
            self._update(name, inc=0, total=total, label=label)

    def done(self, name: str, inc: int = 1, label: str | None = None) -> None:
        self._update(name, inc=inc, label=label)

    def requests(self, made: int) -> None:
        """The client's request count now (retries included): the counter follows it."""
        if made > self._requests:
            self._update("requests", inc=made - self._requests)
            self._requests = made

    def _update(self, name: str, **kwargs: Any) -> None:
        if self._collector is NULL_COLLECTOR:
            return
        try:
            self._collector.update(name, **kwargs)
        except Exception:  # progress is a nicety: never the reason a load fails
            logger.debug("progress collector refused an update; no more progress", exc_info=True)
            self._collector = NULL_COLLECTOR
