"""A franchise: each provider commits on its own, and one failing leaves the others loaded."""

from __future__ import annotations

import pytest

from pipelines.failures.errors import ProvidersFailedError
from pipelines.status import status
from tests.support.cli import assert_one_line_error, etl
from tests.support.targets import DESTINATIONS

HISTORY = (
    "select provider_id, outcome, error from teamup.run_history "
    "where invocation_id = (select invocation_id from teamup.run_history "
    "order by started_at desc limit 1) order by provider_id nulls first"
)


def provider_two(info) -> bool:
    return info.provider_id == "2"


@pytest.fixture(params=DESTINATIONS)
def franchise(request, make_harness, monkeypatch):
    harness = make_harness(request.param, providers=3, invoices=900)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")
    return harness


def test_a_failing_provider_leaves_the_others_committed(franchise):
    sandbox = franchise.sandbox
    sandbox.faults.fail(when=provider_two, times=None, status=503)
    with pytest.raises(ProvidersFailedError) as raised:
        franchise.load()
    message = str(raised.value)
    assert "2 of 3 providers committed" in message and "failed: provider 2" in message
    assert "503" in message
    assert set(franchise.watermarks()) == {"1", "3"}
    loaded = dict(franchise.query("select provider_id, count(*) from teamup.invoices group by 1"))
    assert loaded == {1: len(sandbox.invoices(1)), 3: len(sandbox.invoices(3))}
    rows = franchise.query(HISTORY)
    assert [(p, outcome) for p, outcome, _ in rows] == [
        (None, "failed"),  # the run's own: its line, listed first by status
        (1, "succeeded"),
        (2, "failed"),
        (3, "succeeded"),
    ]
    assert rows[0][2] == message and "503" in rows[2][2]
    newest = status().text().split("last runs (run_history):\n")[1].splitlines()[0]
    assert " failed " in newest and "2 of 3 providers committed" in newest

    # The next night repeats only provider 2's first load; 1 and 3 cost their nightly requests.
    sandbox.faults.reset()
    franchise.later()
    sandbox.log.clear()
    franchise.load()
    sent = [entry.info.provider_id for entry in sandbox.log.requests()]
    by_provider = {p: sent.count(p) for p in ("1", "2", "3")}
    assert by_provider["2"] > 5 * max(by_provider["1"], by_provider["3"])
    assert set(franchise.watermarks()) == {"1", "2", "3"}
    franchise.assert_exact()


def test_the_cli_names_the_failed_provider_and_exits_as_its_failure(franchise):
    franchise.sandbox.faults.fail(when=provider_two, times=None, status=503)
    result = etl("load", cwd=franchise.workdir)
    assert result.returncode == 5  # TeamUp unavailable, as for a single provider
    assert_one_line_error(result, "2 of 3 providers committed", "failed: provider 2")
    assert franchise.sandbox.token not in result.stderr + result.stdout


def test_a_rejected_token_stops_the_run_at_the_first_provider(franchise):
    franchise.sandbox.faults.fail(times=None, status=401)
    result = etl("load", cwd=franchise.workdir)
    assert result.returncode == 3
    assert_one_line_error(result, "TeamUp rejected the API token")
    assert {e.info.provider_id for e in franchise.sandbox.log.requests()} == {"1"}
    assert franchise.watermarks() == {}


def test_check_follows_the_providers_the_last_load_ran(franchise, monkeypatch):
    from pipelines.check import check

    franchise.sandbox.faults.fail(when=provider_two, times=None, status=503)
    with pytest.raises(ProvidersFailedError):
        franchise.load()
    report = check()
    assert {f.name for f in report.failures} == {"last run", "freshness"}
    assert "provider 2" in report.reason()
    # Provider 2 taken out of the configuration: no longer awaited.
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,3")
    franchise.later()
    franchise.load()
    assert check().ok, check().text()
