"""`teamup-etl report`: the revenue marts as one self-contained HTML file of charts and figures."""

from __future__ import annotations

import logging
import os
import secrets
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from ..failures.errors import ConfigurationError
from ..settings import EtlSettings, configured
from . import reader
from .charts import build_charts
from .figures import mark_to_date, month_label
from .html import Part, render_page
from .members import member_charts, receivables_chart
from .reader import LOAD_FIRST, MARTS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportSummary:
    """What was written: the file, its charts and the months they cover."""

    path: Path
    charts: int
    first_month: date
    last_month: date
    left_out: tuple[str, ...] = ()  # views of the members section the warehouse lacks

    @property
    def months(self) -> int:
        return reader.months_apart(self.first_month, self.last_month) + 1

    def line(self) -> str:
        missing = f" (without {', '.join(self.left_out)}: {LOAD_FIRST})" if self.left_out else ""
        return (
            f"report: {self.charts} charts, {month_label(self.first_month)}.."
            f"{month_label(self.last_month)}, written to {self.path}{missing}"
        )


def write_report(
    database: str | Path | None,
    path: str | Path,
    months: int = 24,
    settings: EtlSettings | None = None,
    today: date | None = None,
) -> ReportSummary:
    """Write the report of the last `months` months of the warehouse to path, atomically.

    `database`: a DuckDB file (opened read only: it may be an analyst's copy); None: the
    configured warehouse, whichever destination (`settings`: [teamup_etl] as the command
    resolved it, else resolved here). The window ends at the latest month with
    revenue (payments or refunds), so months whose invoices are only scheduled do not stretch
    it. `today`'s month, if the window shows it, is marked as to date in every chart; None:
    today in the reporting timezone (tests pass the sandbox's). No views yet raises
    WarehouseError saying to load first.
    """
    if months < 1:
        raise ConfigurationError(f"a report covers at least one month, not {months}")
    target = Path(path)
    settings = settings or configured(EtlSettings)
    with reader.connect(None if database is None else Path(database), settings) as (con, source):
        marts = reader.read_marts(con, months, source)
        facts = reader.facts(con, marts.window, marts.providers)
        today = today or reader.today(con)
    window = marts.window
    parts = [
        Part("Revenue", build_charts(window, **marts.revenue, providers=marts.providers)),
        _members_part(marts),
    ]
    parts = [replace(p, charts=[mark_to_date(c, today) for c in p.charts]) for p in parts]
    label = Path(database).name if database is not None else source
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = render_page(
        "TeamUp revenue report",
        facts,
        parts,
        f"Made by teamup-etl report from {label} on {generated}, from the views of "
        f"{MARTS}. Money is exact to the cent; each chart's figures are in the table under it.",
    )
    _write_atomically(target, page)
    count = sum(len(part.charts) for part in parts)
    summary = ReportSummary(target, count, window[0], window[-1], marts.left_out)
    if marts.left_out:
        logger.warning(
            "%s has no %s: the report leaves them out", source, ", ".join(marts.left_out)
        )
    logger.info("%s", summary.line())
    return summary


def _members_part(marts: reader.Marts) -> Part:
    """The members section, or what of it the warehouse has, with a notice naming the rest."""
    charts = [] if marts.mrr is None else member_charts(marts.window, marts.mrr, marts.providers)
    if marts.owed is not None:
        charts.append(receivables_chart(marts.owed, marts.providers))
    missing = [f"{MARTS}.{name}" for name in marts.left_out]
    notice = (
        f"This warehouse has no {', '.join(missing)}: it was built by an older teamup-etl. "
        f"The next `teamup-etl load` builds {'it' if len(missing) == 1 else 'them'}."
        if missing
        else ""
    )
    return Part("Members and receivables", charts, notice)


# -- the file --------------------------------------------------------------------------------


def _write_atomically(target: Path, text: str) -> None:
    """Readers see the old report or the whole new one, never a part: a temporary file beside
    it (same file system) is written, synced, then renamed over it."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        # os.open applies the umask as any new file would get it (mkstemp would give 0600)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            temporary.unlink()
        raise
