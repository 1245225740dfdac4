"""Several providers behind one token load side by side, each row tagged with its provider."""

from __future__ import annotations

from collections import Counter
from datetime import date


def test_two_providers_load_side_by_side(make_harness, monkeypatch):
    harness = make_harness(providers=2)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "1,2")
    harness.load()
    for provider_id in (1, 2):
        expected = Counter(
            (date(i.due_date.year, i.due_date.month, 1), i.status)
            for i in harness.sandbox.invoices(provider_id)
        )
        loaded = harness.query(
            "select due_month, status, sum(invoice_count) from teamup.invoices_grouped "
            "where provider_id = ? group by all",
            provider_id,
        )
        assert Counter({(m, s): n for m, s, n in loaded}) == expected
    customers = harness.query("select provider_id, count(*) from teamup.customers group by all")
    assert {provider for provider, _ in customers} == {1, 2}
    assert set(harness.watermarks()) == {"1", "2"}
    harness.later()
    harness.sandbox.delete_invoice(harness.sandbox.invoices(2)[0].id)
    harness.later()
    harness.load()
    harness.assert_exact()


def test_a_single_provider_id_is_sent_as_the_header(make_harness, monkeypatch):
    harness = make_harness(providers=2)
    monkeypatch.setenv("SOURCES__TEAMUP__PROVIDER_ID", "2")
    harness.load()
    assert {e.info.provider_id for e in harness.sandbox.log.requests()} == {"2"}
    assert harness.query("select distinct provider_id from teamup.invoices_grouped") == [(2,)]
