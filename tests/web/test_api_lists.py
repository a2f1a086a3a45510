"""PL22: list filters (condition trees and simple parameters), search, sort, keyset pages, count."""
from __future__ import annotations

import json

import pytest

DEALS = "/api/v1/mini/deal/"


@pytest.fixture
def deals(web):
    rows = [("Alpha", "100", "high", "2026-01-10", True, ["vip"]),
            ("Bravo", "250.5", "low", "2026-02-01", False, None),
            ("Charlie", None, "normal", None, None, ["vip", "partner"]),
            ("Delta", "250.5", "high", "2026-03-15", True, ["partner"]),
            ("Echo", "75", "normal", "2026-01-20", False, None)]
    for title, amount, priority, due, important, tags in rows:
        web.create("boss", "deal", {"title": title, "amount": amount, "priority": priority, "due": due,
                                    "important": important, "tags": tags, "notes": f"about {title.lower()}"})
    return web.api("boss")


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def test_pl22_simple_filters_with_operators(deals):
    assert titles(deals.get(DEALS, query_string={"priority": "high", "sort": "title"})) == ["Alpha", "Delta"]
    assert titles(deals.get(DEALS, query_string={"amount__gt": "99", "sort": "title"})) == ["Alpha", "Bravo", "Delta"]
    assert titles(deals.get(DEALS, query_string={"due__between": "2026-01-15,2026-02-28"})) == ["Echo", "Bravo"]  # newest first
    assert titles(deals.get(DEALS, query_string={"priority__in": "low,normal", "sort": "title"})) == [
        "Bravo", "Charlie", "Echo"]
    assert titles(deals.get(DEALS, query_string={"important": "true", "sort": "-title"})) == ["Delta", "Alpha"]
    assert titles(deals.get(DEALS, query_string={"due__is_empty": "1"})) == ["Charlie"]
    assert titles(deals.get(DEALS, query_string={"tags__contains": "partner", "sort": "title"})) == ["Charlie", "Delta"]
    combined = deals.get(DEALS, query_string={"priority": "high", "amount": "250.50"})
    assert titles(combined) == ["Delta"]


def test_pl22_where_tree_search_and_count(deals):
    where = {"any": [{"field": "title", "op": "eq", "value": "Echo"},
                     {"not": {"field": "amount", "op": "lt", "value": 200}}]}
    response = deals.get(DEALS, query_string={"where": json.dumps(where), "sort": "title", "count": "1"})
    # Charlie's empty amount: "not (amount < 200)" holds for it (missing values are not less).
    assert titles(response) == ["Bravo", "Charlie", "Delta", "Echo"]
    assert response.get_json()["count"] == 4
    assert titles(deals.get(DEALS, query_string={"q": "CHARLIE"})) == ["Charlie"]
    assert titles(deals.get(DEALS, query_string={"q": "about", "priority": "normal", "sort": "title"})) == [
        "Charlie", "Echo"]
    assert "count" not in deals.get(DEALS).get_json()


def test_pl22_sort_and_keyset_pagination_visit_every_record_once(deals):
    seen, cursor, pages = [], None, 0
    while True:
        query = {"sort": "-amount,title", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = deals.get(DEALS, query_string=query).get_json()
        seen += [item["title"] for item in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break
    # Descending puts empty amounts first; equal amounts are ordered by title.
    assert seen == ["Charlie", "Bravo", "Delta", "Alpha", "Echo"] and pages == 3


@pytest.mark.parametrize("query, fragment", [
    ({"where": "{not json"}, "where"),
    ({"where": "[1]"}, "where"),
    ({"where": json.dumps({"field": "title", "op": "matches", "value": "x"})}, "unknown operator"),
    ({"nosuchfield": "1"}, "no field 'nosuchfield'"),
    ({"amount": "lots"}, "amount"),
    ({"sort": "tags"}, "cannot sort on 'tags'"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"cursor": "garbage!"}, "cursor"),
    ({"priority": ["high", "low"]}, "given 2 times"),
])
def test_pl22_bad_filters_sorts_and_cursors_are_400(sqlite_web, query, fragment):
    response = sqlite_web.api("boss").get(DEALS, query_string=query)
    assert response.status_code == 400
    assert fragment in response.get_json()["message"]


def test_pl22_a_cursor_from_another_sort_is_refused(deals):
    cursor = deals.get(DEALS, query_string={"sort": "title", "limit": 1}).get_json()["next_cursor"]
    response = deals.get(DEALS, query_string={"sort": "-amount,title", "limit": 1, "cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.get_json()["message"]


def test_a_list_request_reads_through_one_connection(deals, web):
    """The request's reads (app revisions, the caller, the page) share one pooled connection."""
    import sqlalchemy as sa

    checkouts, statements = [], []
    sa.event.listen(web.sf.db.pool, "checkout", lambda *_: checkouts.append(1))
    sa.event.listen(web.sf.db, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert titles(deals.get(DEALS + "?sort=title&limit=2")) == ["Alpha", "Bravo"]
    assert len(checkouts) == 1
    # App revisions, the token's session generation (a logout revokes it), the token's user,
    # the user, roles and departments, the department tree (boss heads one), the page: no
    # query twice.
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 7, selects
    assert len(set(selects)) == len(selects), selects
