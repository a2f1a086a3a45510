"""Permissions through the RecordService (PL18) over the org structure (PL03): rights per role,
record rules, per-record grants and denials, and field rules (hidden / read-only)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from stageflow.data import FilterError, RecordNotFound, RecordValidationError
from stageflow.security import AccessDenied, UnknownUser
from stageflow.storage import platform_tables as st

APP = "mini"


def deal(sf, title, **values):
    return sf.records.create(sf.system, APP, "deal", {"title": title, **values})


def visible(sf, username, entity="deal", **kwargs) -> set[str]:
    actor = sf.actor(username)
    items = sf.records.list(actor, APP, entity, limit=500, **kwargs).items
    key = "title" if entity == "deal" else ("full_name" if entity == "client" else "code")
    titles = {item[key] for item in items}
    if not kwargs:
        assert sf.records.count(actor, APP, entity) == len(titles)
    return titles


@pytest.fixture
def deals(sf):
    """One deal per assignee (and one unassigned), named after who it is assigned to."""
    return {name: deal(sf, name, assignee=None if name == "nobody" else name)
            for name in ("boss", "anna", "boris", "carl", "nobody")}


# -- actors ------------------------------------------------------------------------------------

def test_pl03_actor_carries_roles_and_departments_with_sub_departments(sf):
    boss, anna, carl = sf.actor("boss"), sf.actor("anna"), sf.actor("carl")
    assert boss.roles_in(APP) == {"admin"}
    assert boss.departments_in(APP) == {"head_office", "sales", "support"}  # heads the root
    assert (anna.roles_in(APP), anna.departments_in(APP)) == ({"sales_head"}, {"sales"})
    assert (carl.roles_in(APP), carl.departments_in(APP)) == ({"seller"}, {"support"})


def test_load_actor_for_an_unknown_or_inactive_user_raises_unknown_user(sf):
    with pytest.raises(UnknownUser, match="ghost"):
        sf.actor("ghost")
    with sf.db.begin() as conn:
        conn.execute(update(st.users).where(st.users.c.username == "carl").values(active=False))
    with pytest.raises(UnknownUser, match="carl"):
        sf.actor("carl")


# -- rights per role ---------------------------------------------------------------------------

def test_pl18_seller_may_not_delete_deals(sf, deals):
    with pytest.raises(AccessDenied, match="boris may not delete records of mini.deal"):
        sf.records.delete(sf.actor("boris"), APP, "deal", deals["boris"]["id"])
    assert sf.records.get(sf.system, APP, "deal", deals["boris"]["id"])["title"] == "boris"
    sf.records.delete(sf.actor("anna"), APP, "deal", deals["boris"]["id"])


def test_pl18_seller_reads_clients_but_may_not_create_or_change_them(sf):
    client = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan"})
    boris = sf.actor("boris")
    assert visible(sf, "boris", "client") == {"Ivan"}
    with pytest.raises(AccessDenied, match="create"):
        sf.records.create(boris, APP, "client", {"full_name": "Olga"})
    with pytest.raises(AccessDenied, match="update"):
        sf.records.update(boris, APP, "client", client["id"], {"full_name": "Ivan II"})
    anna = sf.actor("anna")
    assert sf.records.update(anna, APP, "client", client["id"], {"full_name": "Ivan II"})["full_name"] == "Ivan II"


def test_pl18_handbook_rows_are_read_only_for_non_admins(sf):
    assert visible(sf, "carl", "city") == {"msk", "kzn"}
    with pytest.raises(AccessDenied, match="create records of mini.city"):
        sf.records.create(sf.actor("carl"), APP, "city", {"code": "spb", "label": "St Petersburg"})
    assert sf.records.create(sf.actor("boss"), APP, "city", {"code": "spb", "label": "St Petersburg"})["code"] == "spb"


def test_pl18_handbooks_are_refused_to_a_user_without_a_role_in_the_app(org_sf):
    with pytest.raises(AccessDenied, match="nina may not read records of mini.city"):
        org_sf.records.list(org_sf.actor("nina"), APP, "city")


def test_pl18_handbooks_are_readable_by_anyone_with_a_role_in_the_app(org_sf):
    assert visible(org_sf, "vera", "city") == {"msk", "kzn"}  # clerk's role names no handbook
    assert org_sf.records.get(org_sf.actor("vera"), APP, "city", 1)["code"] == "msk"


def test_pl18_no_grant_on_an_entity_means_no_access(org_sf):
    record = deal(org_sf, "hidden")
    vera, nina = org_sf.actor("vera"), org_sf.actor("nina")
    for actor in (vera, nina):
        with pytest.raises(AccessDenied, match="read records of mini.deal"):
            org_sf.records.list(actor, APP, "deal")
        with pytest.raises(AccessDenied):
            org_sf.records.get(actor, APP, "deal", record["id"])
        with pytest.raises(AccessDenied):
            org_sf.records.count(actor, APP, "deal")
    with pytest.raises(AccessDenied):
        org_sf.records.create(nina, APP, "client", {"full_name": "x"})


# -- record rules ------------------------------------------------------------------------------

def test_pl18_seller_sees_only_deals_assigned_to_him_plus_watched_ones(sf, deals):
    assert visible(sf, "boris") == {"boris"}
    assert visible(sf, "carl") == {"carl"}
    sf.records.set_member(sf.system, APP, "deal", deals["carl"]["id"], "boris", relation="watcher")
    assert visible(sf, "boris") == {"boris", "carl"}
    sf.records.set_member(sf.system, APP, "deal", deals["carl"]["id"], "boris", relation="watcher", present=False)
    assert visible(sf, "boris") == {"boris"}


def test_pl18_reassigning_a_deal_moves_it_between_sellers(sf, deals):
    sf.records.update(sf.system, APP, "deal", deals["carl"]["id"], {"assignee": "boris"})
    assert visible(sf, "boris") == {"boris", "carl"}
    assert visible(sf, "carl") == set()


def test_pl18_pl03_head_of_sales_sees_deals_assigned_to_members_of_sales(sf, deals):
    assert visible(sf, "anna") == {"anna", "boris"}
    sf.records.update(sf.system, APP, "deal", deals["nobody"]["id"], {"assignee": "boris"})
    assert visible(sf, "anna") == {"anna", "boris", "nobody"}


def test_pl03_department_rule_covers_sub_departments_and_their_heads(org_sf):
    for name in ("olga", "anna", "boris", "carl", "sam"):
        deal(org_sf, name, assignee=name)
    deal(org_sf, "nobody")
    assert visible(org_sf, "olga") == {"olga", "anna", "boris", "carl", "sam"}
    assert visible(org_sf, "anna") == {"anna", "boris"}


def test_pl03_department_rule_on_a_department_field(org_sf):
    deal(org_sf, "support case", department="support")
    deal(org_sf, "sales case", department="sales", assignee="carl")
    deal(org_sf, "no department")
    assert visible(org_sf, "sam") == {"support case"}


def test_pl18_granted_adds_a_record_and_denied_removes_one(sf, deals):
    sf.records.set_member(sf.system, APP, "deal", deals["nobody"]["id"], "boris", relation="granted")
    assert visible(sf, "boris") == {"boris", "nobody"}
    sf.records.set_member(sf.system, APP, "deal", deals["boris"]["id"], "boris", relation="denied")
    assert visible(sf, "boris") == {"nobody"}
    with pytest.raises(RecordNotFound):
        sf.records.get(sf.actor("boris"), APP, "deal", deals["boris"]["id"])
    assert visible(sf, "anna") == {"anna", "boris"}  # a denial is personal


def test_pl18_denied_removes_a_record_even_from_a_role_that_sees_all(sf):
    for name in ("Ivan", "Olga"):
        sf.records.create(sf.system, APP, "client", {"full_name": name})
    olga = sf.records.list(sf.system, APP, "client", where={"field": "full_name", "op": "eq", "value": "Olga"}).items[0]
    sf.records.set_member(sf.system, APP, "client", olga["id"], "anna", relation="denied")
    assert visible(sf, "anna", "client") == {"Ivan"}
    with pytest.raises(RecordNotFound):
        sf.records.get(sf.actor("anna"), APP, "client", olga["id"])
    with pytest.raises(RecordNotFound):
        sf.records.update(sf.actor("anna"), APP, "client", olga["id"], {"full_name": "Olga II"})
    assert visible(sf, "boris", "client") == {"Ivan", "Olga"}


def test_pl18_invisible_record_is_not_found_rather_than_denied(sf, deals):
    boris, carls = sf.actor("boris"), deals["carl"]["id"]
    calls = [
        lambda: sf.records.get(boris, APP, "deal", carls),
        lambda: sf.records.update(boris, APP, "deal", carls, {"title": "mine now"}),
        lambda: sf.records.history(boris, APP, "deal", carls),
        lambda: sf.records.set_member(boris, APP, "deal", carls, "boris", relation="watcher"),
    ]
    for call in calls:
        with pytest.raises(RecordNotFound) as error:
            call()
        assert str(error.value) == f"deal #{carls} does not exist"
    assert sf.records.get(sf.system, APP, "deal", carls)["title"] == "carl"


def test_pl18_admin_role_and_system_actor_see_and_do_everything(sf, deals):
    assert visible(sf, "boss") == set(deals)
    assert len(sf.records.list(sf.system, APP, "deal").items) == 5
    boss = sf.actor("boss")
    sf.records.update(boss, APP, "deal", deals["carl"]["id"], {"amount": 5, "passport": "X1", "stage": "won"})
    assert sf.records.get(boss, APP, "deal", deals["carl"]["id"])["passport"] == "X1"
    assert sf.records.list(boss, APP, "deal", where={"field": "passport", "op": "eq", "value": "X1"}).items
    sf.records.delete(boss, APP, "deal", deals["carl"]["id"])


def test_set_member_refuses_an_unknown_relation(sf, deals):
    with pytest.raises(ValueError, match="watcher"):
        sf.records.set_member(sf.system, APP, "deal", deals["carl"]["id"], "boris", relation="watchers")


def test_pl18_seller_may_not_deny_his_head_access_to_a_deal(sf, deals):
    with pytest.raises(AccessDenied):
        sf.records.set_member(sf.actor("boris"), APP, "deal", deals["boris"]["id"], "anna", relation="denied")
    assert visible(sf, "anna") == {"anna", "boris"}


# -- field rules -------------------------------------------------------------------------------

@pytest.fixture
def passport_deal(sf):
    """Boris's deal with a passport number that was changed once (so history holds it)."""
    record = deal(sf, "with passport", assignee="boris", amount="10", passport="AB 100")
    sf.records.update(sf.system, APP, "deal", record["id"], {"passport": "AB 123"})
    return record


def test_pl18_passport_is_shown_to_the_seller_while_the_deal_is_open(sf, passport_deal):
    boris = sf.actor("boris")
    assert sf.records.get(boris, APP, "deal", passport_deal["id"])["passport"] == "AB 123"
    assert sf.records.list(boris, APP, "deal").items[0]["passport"] == "AB 123"
    assert [h["field"] for h in sf.records.history(boris, APP, "deal", passport_deal["id"])] == ["passport"]


def test_pl18_passport_is_hidden_from_the_seller_once_the_deal_is_won(sf, passport_deal):
    boris, record_id = sf.actor("boris"), passport_deal["id"]
    moved = sf.records.update(boris, APP, "deal", record_id, {"stage": "won"})
    assert "passport" not in moved
    assert "passport" not in sf.records.get(boris, APP, "deal", record_id)
    assert "passport" not in sf.records.list(boris, APP, "deal").items[0]
    fields = [h["field"] for h in sf.records.history(boris, APP, "deal", record_id)]
    assert "stage" in fields and "passport" not in fields
    with pytest.raises(RecordValidationError) as error:
        sf.records.update(boris, APP, "deal", record_id, {"passport": "CD 999"})
    assert error.value.errors == {"passport": "is read-only for you"}
    anna = sf.actor("anna")
    assert sf.records.get(anna, APP, "deal", record_id)["passport"] == "AB 123"
    assert "passport" in {h["field"] for h in sf.records.history(anna, APP, "deal", record_id)}


def test_pl18_amount_is_read_only_for_the_seller_but_resending_it_unchanged_is_fine(sf, passport_deal):
    boris, record_id = sf.actor("boris"), passport_deal["id"]
    with pytest.raises(RecordValidationError) as error:
        sf.records.update(boris, APP, "deal", record_id, {"amount": "11", "title": "new title"})
    assert error.value.errors == {"amount": "is read-only for you"}
    assert sf.records.get(sf.system, APP, "deal", record_id)["title"] == "with passport"
    unchanged = sf.records.update(boris, APP, "deal", record_id, {"amount": "10.00", "title": "new title"})
    assert (unchanged["amount"], unchanged["title"]) == ("10.00", "new title")
    with pytest.raises(RecordValidationError, match="amount: is read-only for you"):
        sf.records.create(boris, APP, "deal", {"title": "own", "assignee": "boris", "amount": 5})
    assert sf.records.update(sf.actor("anna"), APP, "deal", record_id, {"amount": 11})["amount"] == "11.00"


def test_pl18_seller_may_send_an_empty_read_only_field_on_create(sf):
    created = sf.records.create(sf.actor("boris"), APP, "deal", {"title": "own", "assignee": "boris", "amount": None})
    assert created["amount"] is None


@pytest.mark.parametrize("query", [
    {"where": {"field": "passport", "op": "eq", "value": "AB 123"}},
    {"where": {"any": [{"field": "title", "op": "eq", "value": "x"},
                       {"not": {"field": "passport", "op": "is_empty"}}]}},
    {"sort": "passport"},
    {"sort": ["title", "-passport"]},
])
def test_pl18_seller_may_not_filter_or_sort_on_a_field_his_role_hides(sf, passport_deal, query):
    with pytest.raises(FilterError, match="'passport' is hidden from you"):
        sf.records.list(sf.actor("boris"), APP, "deal", **query)
    assert sf.records.list(sf.actor("anna"), APP, "deal", **query) is not None


def test_pl18_count_with_a_hidden_field_filter_is_refused_too(sf, passport_deal):
    with pytest.raises(FilterError, match="passport"):
        sf.records.count(sf.actor("boris"), APP, "deal", where={"field": "passport", "op": "is_not_empty"})


def test_pl18_search_skips_a_searchable_field_the_role_hides(org_sf):
    deal(org_sf, "with passport", assignee="boris", passport="AB 123")
    assert visible(org_sf, "anna", search="ab 123") == {"with passport"}
    assert visible(org_sf, "boris", search="ab 123") == set()
    assert visible(org_sf, "boris", search="passport") == {"with passport"}
