"""`teamup-etl probe`: each broken assumption named, the critical ones failing, few requests."""

from __future__ import annotations

import pytest

from tests.support.cli import etl

# switch of sandbox.breaks -> (the probe's line for it, whether exactness depends on it)
BROKEN = {
    "unstable_ties": ("sort honoured, ties in a stable order", False),
    "grouped_ignores_id_gt": ("id_gt on both reports", False),
    "no_date_header": ("the Date header is TeamUp's clock", True),
    "grouped_drops_credit_notes": ("both reports count the same invoices", True),
    # a load fails on pages that repeat rows (exit 5): the probe says so before a load does
    "sort_ignored": ("the row order is stable from page to page", True),
}
MAX_REQUESTS = 32
# Checks that read the first row of a sorted query: an ignored sort can break them too.
SORT_READERS = {
    "sort honoured, ties in a stable order",
    "id_gt on both reports",
    "updated_at filters inclusive and zone-aware",
    "both reports count the same invoices",
}


@pytest.fixture
def harness(make_harness):
    """A sandbox whose clock runs with this machine's: the probe compares TeamUp's Date header
    with the local clock (the other tests' sandboxes stand on a fixed date)."""
    return make_harness(now=None)


def lines(result) -> dict[str, str]:
    """The verdict of each assumption the probe printed."""
    found = {}
    for line in result.stdout.splitlines()[:-1]:
        verdict = next(v for v in ("holds", "does not hold", "cannot tell") if line.startswith(v))
        found[line[len(verdict) :].strip().split(":")[0]] = verdict
    return found


def test_with_nothing_broken_every_checkable_assumption_holds(harness):
    result = etl("probe", cwd=harness.workdir)
    assert result.returncode == 0, result.stderr
    verdicts = lines(result)
    assert "does not hold" not in verdicts.values()
    assert verdicts["changes stamp updated_at (renames included)"] == "cannot tell"
    assert sum(v == "holds" for v in verdicts.values()) >= 10
    requests = harness.sandbox.log.count()
    assert requests <= MAX_REQUESTS
    assert f"with {requests} read-only requests" in result.stdout  # says what it cost
    assert harness.sandbox.token not in result.stdout + result.stderr
    assert not harness.database.exists()  # read-only: no warehouse made


@pytest.mark.parametrize("switch", sorted(BROKEN))
def test_each_broken_assumption_is_named(harness, switch):
    setattr(harness.sandbox.breaks, switch, True)
    result = etl("probe", cwd=harness.workdir)
    name, critical = BROKEN[switch]
    verdicts = lines(result)
    assert verdicts[name] == "does not hold", result.stdout
    broken = [n for n, v in verdicts.items() if v == "does not hold"]
    if switch == "sort_ignored":  # checks that read the top row of a sort may break too
        broken = [n for n in broken if n not in SORT_READERS]
    assert broken == [name]
    if critical:
        assert result.returncode == 11
        assert result.stderr.strip().startswith("teamup-etl: error: probe: " + name)
    else:
        assert result.returncode == 0, result.stderr


def test_values_the_docs_do_not_list_are_named_and_fail_nothing(harness):
    sandbox = harness.sandbox
    invoices = sorted(sandbox.invoices(), key=lambda i: i.id)
    sandbox.change(invoices[0].id, status="written_off", purchase_type="appointment")
    sandbox.change(invoices[1].id, status="written_off", customer_id=None)
    result = etl("probe", cwd=harness.workdir)
    assert result.returncode == 0, result.stderr
    assert lines(result)["values the docs list"] == "does not hold"
    line = next(x for x in result.stdout.splitlines() if "values the docs list" in x)
    assert "written_off 2" in line and "appointment 1" in line
    assert "invoices without a customer 1" in line
    assert (
        "(not in the docs: status 'written_off', purchase type 'appointment',"
        " invoices without a customer)" in line
    )


def test_a_rejected_token_is_a_broken_assumption_and_nothing_else_is_asked(harness, monkeypatch):
    monkeypatch.setenv("SOURCES__TEAMUP__API_TOKEN", "not-the-token-5521")
    result = etl("probe", cwd=harness.workdir)
    assert result.returncode == 11
    assert lines(result) == {"the token and auth scheme": "does not hold"}
    assert "not-the-token-5521" not in result.stdout + result.stderr


def test_a_franchise_is_probed_whole_on_its_first_provider_and_by_header_on_the_others(
    make_harness, monkeypatch
):
    harness = make_harness(now=None, providers=3, invoices=300)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2,3")
    result = etl("probe", cwd=harness.workdir)
    assert result.returncode == 0, result.stderr
    verdicts = lines(result)
    assert verdicts["the provider header (provider 2)"] == "holds"
    assert verdicts["the provider header (provider 3)"] == "holds"
    served = {e.info.provider_id for e in harness.sandbox.log.requests()}
    assert served == {"1", "2", "3"}
    assert harness.sandbox.log.count() <= MAX_REQUESTS + 2  # one request per further provider


def test_a_provider_the_token_cannot_reach_is_broken_and_named(make_harness, monkeypatch):
    harness = make_harness(now=None, providers=2, invoices=300)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,9")  # the token serves 1 and 2
    result = etl("probe", cwd=harness.workdir)
    assert result.returncode == 11
    verdicts = lines(result)
    assert [n for n, v in verdicts.items() if v == "does not hold"] == [
        "the provider header (provider 9)"
    ]
    assert "provider 9's loads fail (exit 3)" in result.stdout
    assert result.stderr.strip().startswith(
        "teamup-etl: error: probe: the provider header (provider 9) does not hold"
    )
