"""deploy/: every schedule is well formed and runs commands the CLI really has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pipelines.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def commands_in(text: str) -> list[list[str]]:
    """The arguments of each `teamup-etl ...` invocation, up to a shell operator."""
    found = []
    for match in re.finditer(r"bin/teamup-etl ([^>&|;\n]*)", text):
        found.append(shlex.split(match.group(1)))
    return found


def cron_lines() -> list[str]:
    lines = (DEPLOY / "crontab").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_crontab_lines_have_five_valid_schedule_fields_and_use_flock_for_the_load():
    lines = cron_lines()
    assert len(lines) == 2
    for line in lines:
        fields = line.split()[:5]
        assert all(CRON_FIELD.match(field) for field in fields), line
    load = next(line for line in lines if "teamup-etl load" in line)
    assert "flock -n " in load


@pytest.mark.parametrize("name", ["crontab", "teamup-etl.service"])
def test_deploy_files_run_real_subcommands(name):
    invocations = commands_in((DEPLOY / name).read_text())
    assert {args[0] for args in invocations} == {"load", "check"}
    for args in invocations:
        build_parser().parse_args(args)  # SystemExit (a failed test) if the CLI lacks it


def test_the_timer_starts_the_service_nightly_and_catches_up():
    timer = (DEPLOY / "teamup-etl.timer").read_text()
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:\d\d$", timer, re.MULTILINE)
    assert "Persistent=true" in timer
    service = (DEPLOY / "teamup-etl.service").read_text()
    assert "Type=oneshot" in service and "ExecStartPost=" in service
