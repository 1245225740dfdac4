"""The `teamup-etl` command: parse arguments, call pipelines.main, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

from sources.teamup.exceptions import (
    ApiUnavailableError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    NetworkError,
    ReconciliationError,
    RunInProgressError,
    TeamUpError,
    WarehouseError,
)

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
    (TeamUpError, 5),
)
EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teamup-etl", description="Load TeamUp invoice reports into a DuckDB warehouse."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress; tracebacks")
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
    commands.add_parser("status", help="watermarks, last loads and rows per table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Imported late: dlt's import takes a moment and `--help` should not wait for it.
    from . import main as runs

    try:
        if args.command == "load":
            summary = runs.load(progress=_progress(), strict=args.strict)
        elif args.command == "backfill":
            summary = runs.backfill(args.start, args.end, progress=_progress(), strict=args.strict)
        elif args.command == "models":
            summary = runs.models(strict=args.strict)
        else:
            print(runs.status().text())
            return 0
        print(summary.line())
        if summary.mismatched_months:
            print(
                "teamup-etl: warning: invoice counts differ between invoices_grouped and "
                f"invoices in due months: {runs.describe(summary.mismatched_months)}",
                file=sys.stderr,
            )
        return 0
    except KeyboardInterrupt:
        print("teamup-etl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.verbose:
            logging.getLogger(__name__).exception("%s failed", args.command)
        print(f"teamup-etl: error: {redact(one_line(error))}", file=sys.stderr)
        return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), EXIT_UNEXPECTED)


def _progress() -> object | None:
    """dlt's own progress log on a terminal; nothing under cron."""
    if not sys.stderr.isatty():
        return None
    import dlt

    return dlt.progress.log(log_period=5, logger=sys.stderr, dump_system_stats=False)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, TeamUpError) else f"{type(error).__name__}: {text}"


def redact(text: str) -> str:
    """Belt and braces: no message leaves with the token in it, whatever raised it."""
    token = os.environ.get("SOURCES__TEAMUP__API_TOKEN")
    if not token:
        try:
            import dlt

            token = dlt.secrets.get("sources.teamup.api_token")
        except Exception:  # no secrets file, or an unreadable one: nothing to redact with
            token = None
    token = str(token) if token else ""
    return text.replace(token, "***") if len(token) >= 4 else text


if __name__ == "__main__":
    sys.exit(main())
