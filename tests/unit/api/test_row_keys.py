"""What identifies a row in one query's answer: a repeated row is how an unstable order shows."""

from __future__ import annotations

from sources.teamup.api.pages import grouping_key, id_key


def group(customer: int | None, count: str = "1", item: int = 5) -> dict:
    who = None if customer is None else {"id": customer, "name": "Zoë", "email": None}
    return {
        "due_date_year": "2026",
        "due_date_month": "10",
        "customer": who,
        "purchased_item": {"id": item, "name": "Pack"},
        "count": count,
    }


def test_a_group_is_its_grouping_whatever_its_count():
    assert grouping_key(group(1, "1")) == grouping_key(group(1, "7"))


def test_groups_differing_in_any_value_nested_or_not_differ():
    keys = {grouping_key(g) for g in (group(1), group(2), group(None), group(1, item=6))}
    assert len(keys) == 4


def test_an_invoice_is_its_id_and_rows_without_one_are_each_their_own():
    assert id_key({"id": 3, "status": "paid"}) == id_key({"id": 3, "status": "open"})
    page = [{"status": "paid"}, {"status": "paid"}]  # both alive, as a page's rows are
    assert id_key(page[0]) != id_key(page[1])
