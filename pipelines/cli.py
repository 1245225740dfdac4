"""The `teamup-etl` command: parse arguments, call pipelines.runs, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from .failures.errors import (
    ApiUnavailableError,
    AuthenticationError,
    BadRequestError,
    CheckFailedError,
    ConfigurationError,
    MalformedResponseError,
    NetworkError,
    ProbeFailedError,
    ProvidersFailedError,
    ReconciliationError,
    RunInProgressError,
    TeamUpError,
    ViewsFailedError,
    WarehouseError,
)
from .failures.messages import RedactingFilter, configured_token, one_line, redact

if TYPE_CHECKING:
    from .settings import EtlSettings

# The first matching class decides; documented in the README.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigurationError, 2),
    (AuthenticationError, 3),
    (BadRequestError, 4),
    (ApiUnavailableError, 5),
    (MalformedResponseError, 5),
    (NetworkError, 6),
    (ReconciliationError, 8),
    (WarehouseError, 7),
    (RunInProgressError, 9),
    (CheckFailedError, 10),
    (ProbeFailedError, 11),
    (TeamUpError, 5),
)
EXIT_UNEXPECTED = 1
# Named as the module even when run as `python -m pipelines.cli`: log lines say who wrote them.
logger = logging.getLogger("pipelines.cli")
FILE_ONLY = {"file_only": True}  # what the CLI prints anyway: logged for the file alone
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EXIT_INTERRUPTED = 130


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other failure (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"teamup-etl: error: {message} (see teamup-etl --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="teamup-etl",
        description="Load TeamUp invoice reports into a DuckDB or PostgreSQL warehouse.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress; tracebacks")
    parser.add_argument(
        "--log-file", type=Path, help="also log to this file (default: [teamup_etl] log_file)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="the nightly incremental load, then the views")
    backfill = commands.add_parser("backfill", help="re-fetch and replace a range of due months")
    backfill.add_argument("--start", type=_date, required=True, help="first due date, YYYY-MM-DD")
    backfill.add_argument("--end", type=_date, required=True, help="last due date, YYYY-MM-DD")
    models = commands.add_parser("models", help="rebuild the SQL views of sql/ without loading")
    for command in (load, backfill, models):
        command.add_argument(
            "--strict",
            action="store_true",
            help="fail (exit 8) when invoice counts per due month differ between the tables",
        )
    commands.add_parser("status", help="watermarks, last runs and rows per table")
    check = commands.add_parser(
        "check", help="freshness, reconciliation and row-count jumps; exit 10 when one fails"
    )
    check.add_argument("--max-age-hours", type=float, help="oldest acceptable last load")
    check.add_argument("--max-row-change", type=float, help="largest change between runs, 0.25")
    commands.add_parser(
        "probe", help="check, read-only, what the pipeline assumes of TeamUp; exit 11 if broken"
    )
    report = commands.add_parser("report", help="write the revenue report, one offline HTML file")
    report.add_argument("--output", type=Path, default=Path("teamup_report.html"))
    report.add_argument("--months", type=int, default=24, help="months shown, the latest last")
    for command in (check, report):
        command.add_argument(
            "--database",
            type=Path,
            help="a DuckDB warehouse file to read (default: the configured warehouse)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported late: dlt's import takes a moment and `--help` should not wait for it.
    from . import settings as configuration

    try:
        # [teamup_etl], resolved once for the command: a bad value stops any command here
        settings = configuration.configured(configuration.EtlSettings)
        _configure_logging(args.verbose, args.log_file or settings.log_file)
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        print("teamup-etl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        error = _ours(error)
        if not logging.getLogger().handlers:
            pass  # logging is not set up (its own setting failed): the line below is all
        elif args.verbose:
            logger.exception("%s failed: %s", args.command, one_line(error))
        else:  # the console gets the one line below; the log file gets it too, dated
            logger.error("%s failed: %s", args.command, one_line(error), extra=FILE_ONLY)
        print(f"teamup-etl: error: {redact(one_line(error))}", file=sys.stderr)
        return exit_code(error)


def _ours(error: Exception) -> Exception:
    """dlt's configuration errors (raised as early as its first read of a setting) as ours,
    naming the setting; any other error as it is."""
    from dlt.common.configuration.exceptions import ConfigurationException

    from .failures.unwrap import unwrap

    return cast(Exception, unwrap(error)) if isinstance(error, ConfigurationException) else error


def exit_code(error: BaseException) -> int:
    """The first matching class's code; some failed providers exit as their first failure,
    views that failed after the refreshes committed as their own failure."""
    if isinstance(error, ProvidersFailedError | ViewsFailedError) and error.failures:
        error = error.failures[0]
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), EXIT_UNEXPECTED)


def _dispatch(args: argparse.Namespace, settings: EtlSettings) -> int:
    from . import runs
    from .settings import check_requests

    if args.command == "probe":  # load, backfill and models check theirs as they begin
        check_requests()

    if args.command == "status":
        from .status import status

        print(status(settings=settings).text())
        return 0
    if args.command == "check":
        return _check(args, settings)
    if args.command == "report":
        return _report(args, settings)
    if args.command == "probe":
        return _probe()
    summary: runs.RunSummary | runs.ModelsSummary
    if args.command == "load":
        summary = runs.load(progress=_progress(), strict=args.strict, settings=settings)
    elif args.command == "backfill":
        summary = runs.backfill(
            args.start, args.end, progress=_progress(), strict=args.strict, settings=settings
        )
    else:
        summary = runs.models(strict=args.strict, settings=settings)
    print(summary.line())
    logger.info("%s", summary.line(), extra=FILE_ONLY)
    if isinstance(summary, runs.RunSummary) and summary.drift:
        print(
            "teamup-etl: warning: the audit found rows off TeamUp's and replaced them (an"
            " assumption of the pipeline does not hold; see docs/operations.md#the-rolling-"
            f"audit): {'; '.join(summary.drift)}",
            file=sys.stderr,
        )
    if isinstance(summary, runs.RunSummary) and summary.unforeseen:
        from sources.teamup.records.unforeseen import describe

        print(
            f"teamup-etl: warning: new in TeamUp's data: {describe(summary.unforeseen)}"
            " (loaded as they come; see docs/operations.md#when-teamup-sends-what-its-docs-"
            "dont-describe)",
            file=sys.stderr,
        )
    if summary.mismatched_months:
        print(
            "teamup-etl: warning: invoice counts differ between invoices_grouped and "
            f"invoices in due months: {runs.describe(summary.mismatched_months)}",
            file=sys.stderr,
        )
    return 0


def _check(args: argparse.Namespace, settings: EtlSettings) -> int:
    from .check import check

    report = check(args.database, args.max_age_hours, args.max_row_change, settings=settings)
    print(report.text())
    if report.ok:
        return 0
    raise CheckFailedError(f"check failed: {report.reason()}")


def _probe() -> int:
    from .failures.unwrap import unwrap
    from .probe import probe

    try:
        report = probe()
    except Exception as error:
        raise unwrap(error) from error
    print(report.text())
    if report.ok:
        return 0
    names = ", ".join(finding.name for finding in report.broken)
    raise ProbeFailedError(
        f"probe: {names} does not hold; each one's line above says what that costs the"
        " nightly load (an assumption TeamUp broke: send the output to the maintainers)"
    )


def _report(args: argparse.Namespace, settings: EtlSettings) -> int:
    from .report import write_report
    from .warehouse.destination import database_path, is_local_file, make_pipeline
    from .warehouse.duckdb_file import analyst_copy_path

    database = args.database
    pipeline = make_pipeline(progress=None, destination=settings.destination)
    if database is None and is_local_file(pipeline):
        # The analyst copy is never held by a run, so the report need not wait for one.
        working = database_path(pipeline)
        copy = analyst_copy_path(working, settings.analyst_copy)
        database = copy if copy is not None and copy.exists() else working
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        summary = write_report(database, args.output, months=args.months, settings=settings)
    except OSError as error:  # the output path is the user's setting: exit 2, not a crash
        raise ConfigurationError(f"cannot write the report to {args.output}: {error}") from None
    print(summary.line())
    return 0


def _configure_logging(verbose: bool, log_file: str | Path | None) -> None:
    """Warnings (or, verbose, everything) on stderr; everything to the file, if one is set.
    Every handler redacts the token, whichever logger a record comes from."""
    redacting = RedactingFilter(configured_token())
    file_handler = _file_handler(Path(log_file).expanduser()) if log_file else None
    handlers = [_console_handler(verbose), *([file_handler] if file_handler else [])]
    for handler in handlers:
        handler.addFilter(redacting)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(
        level=logging.INFO if log_file or verbose else logging.WARNING,
        handlers=handlers,
        force=True,
    )
    # dlt logs on its own "dlt" logger, which does not propagate to the root. It keeps the
    # first handler it finds there (and gives it its own format), so it gets a console
    # handler of its own, then our file handler; the filter on the logger redacts at source.
    dlt_logger = logging.getLogger("dlt")
    dlt_console = _console_handler(verbose)
    dlt_console.addFilter(redacting)
    for handler in (dlt_console, *([file_handler] if file_handler else [])):
        dlt_logger.addHandler(handler)
    dlt_logger.addFilter(redacting)


def _console_handler(verbose: bool) -> logging.Handler:
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.addFilter(lambda record: not getattr(record, "file_only", False))
    return console


def _file_handler(path: Path) -> logging.Handler:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(
            f"cannot write the log file {path} ({error.strerror}; --log-file or"
            " TEAMUP_ETL__LOG_FILE)"
        ) from None
    handler.setLevel(logging.INFO)
    return handler


def _progress() -> object | None:
    """dlt's own progress log on a terminal; nothing under cron."""
    if not sys.stderr.isatty():
        return None
    import dlt

    return dlt.progress.log(log_period=5, logger=sys.stderr, dump_system_stats=False)


if __name__ == "__main__":
    sys.exit(main())
