"""The call center: leads come in, wait in the queue, are taken, handed to sales and come back
(BK01, BK02, BK05, BK07, BK19, BK20, BK28, BK37)."""
from __future__ import annotations

import pytest

from .support import new_phone

OPERATORS = {"ivanova.a", "smirnova.o", "kozlova.n", "fedorova.v"}
MOSCOW_SALES = {"morozov.a", "lebedev.k", "novikova.t"}


def test_bk01_a_lead_of_partner_vasya_gets_its_source_set(crm):
    vasya = crm.lead(None, utm_source="vasya", title="Заявка партнёра")
    tagged = crm.lead(None, utm_source="Partner_VASYA_landing")
    site = crm.lead(None, utm_source="site")
    chosen = crm.lead(None, utm_source="vasya", source="radio")  # a source set by hand stays
    crm.run()
    assert [crm.get(d["id"])["source"] for d in (vasya, tagged, site, chosen)] == ["vasya", "vasya", None, "radio"]
    assert crm.outcomes("bk01_source_from_partner_tag", site["id"]) == ["skipped"]


def test_bk02_a_lead_nobody_takes_in_15_minutes_alerts_the_call_center_head(fresh_crm):
    crm = fresh_crm

    def alerts():  # the head is also told of every new lead in the queue (BK19): leave those out
        return [n for n in crm.inbox("petrova.e") if "15 минут" in n["title"]]
    left, taken = crm.lead(None, title="Никто не взял"), crm.lead(None, title="Взяли вовремя")
    crm.run()
    crm.clock.advance(minutes=10)
    crm.update("smirnova.o", taken["id"], assignee="smirnova.o")
    crm.run()
    crm.clock.advance(minutes=4, seconds=59)
    crm.run()
    assert alerts() == []
    crm.clock.advance(seconds=1)
    crm.run()
    assert [(n["title"], n["record_id"], n["count"]) for n in alerts()] == [
        ("Заявку не взяли в работу за 15 минут: Никто не взял", left["id"], 1)]
    assert [subject for subject, _ in crm.sent("email", "petrova.e@bankrot-demo.ru")] == [
        "Заявку не взяли в работу за 15 минут: Никто не взял"]
    # Later edits of the still unassigned lead do not repeat the alert.
    crm.update("petrova.e", left["id"], description="Перезвонить после обеда")
    crm.clock.advance(minutes=30)
    crm.run()
    assert [n["count"] for n in alerts()] == [1]
    assert len(crm.messages("email", "petrova.e@bankrot-demo.ru")) == 1
    assert crm.outcomes("bk02_unassigned_lead_alert") == ["fired"]


def test_bk19_a_new_lead_drops_on_the_whole_call_center_and_the_first_operator_keeps_it(crm):
    deal = crm.lead(None, title="Очередь колл-центра")
    crm.run()
    assert crm.get(deal["id"])["department"] == "call_center"
    told = {user for user in OPERATORS | {"petrova.e"} if crm.titles(user, deal["id"])}
    assert told == OPERATORS | {"petrova.e"}
    assert all(crm.sees(user, deal["id"]) for user in OPERATORS)
    crm.update("kozlova.n", deal["id"], assignee="kozlova.n")
    crm.run()
    got = crm.get(deal["id"])
    assert (got["operator"], got["taken_at"]) == ("kozlova.n", crm.clock.now.isoformat() + "Z")
    assert {user for user in OPERATORS if crm.sees(user, deal["id"])} == {"kozlova.n"}
    assert crm.sees("petrova.e", deal["id"])  # the head keeps seeing her department's deals


def _hand_to_sales(crm, city: str, title: str) -> dict:
    deal = crm.lead(city=city, title=title)
    crm.run()
    for step in ({"assignee": "ivanova.a"}, {"stage": "cc_processing"}, {"stage": "sales_dept"}):
        crm.update("ivanova.a", deal["id"], **step)
        crm.run()  # the worker keeps up with people (NS08 covers bursts)
    return deal


@pytest.mark.parametrize("city, department, members", [
    ("podolsk", "sales_msk", MOSCOW_SALES),
    ("nchelny", "sales_kzn", {"gareev.r", "sabirova.l", "khairullin.i"}),
    ("chelyabinsk", "sales_ekb", {"popov.i", "zaitseva.y"}),
])
def test_bk05_the_hand_over_goes_to_the_sales_department_of_the_clients_city(crm, city, department, members):
    deal = _hand_to_sales(crm, city, f"Передача из колл-центра ({city})")
    got = crm.get(deal["id"])
    assert (got["department"], got["assignee"], got["operator"]) == (department, None, "ivanova.a")
    everyone = MOSCOW_SALES | {"gareev.r", "sabirova.l", "khairullin.i", "popov.i", "zaitseva.y"}
    assert {user for user in everyone if crm.titles(user, deal["id"])} == members
    assert {user for user in everyone if crm.sees(user, deal["id"])} == members


def test_bk19_the_first_sales_manager_to_take_the_deal_keeps_it_the_others_lose_access(crm):
    deal = _hand_to_sales(crm, "msk", "Первый взявший")
    crm.update("novikova.t", deal["id"], assignee="novikova.t")
    crm.run()
    got = crm.get(deal["id"])
    assert (got["assignee"], got["sales_manager"], got["taken_at"]) == (
        "novikova.t", "novikova.t", crm.clock.now.isoformat() + "Z")
    assert {user for user in MOSCOW_SALES if crm.sees(user, deal["id"])} == {"novikova.t", "morozov.a"}  # + the head
    assert crm.sees("volkov.s", deal["id"])  # the head of all sales too


def test_bk19_a_deal_back_in_the_queue_reaches_the_whole_department_again(crm):
    deal = _hand_to_sales(crm, "msk", "Снова в очереди")
    crm.update("lebedev.k", deal["id"], assignee="lebedev.k")
    crm.run()
    crm.move("lebedev.k", deal["id"], "cc_processing")  # back to the call center (BK07)...
    crm.run()
    crm.move("ivanova.a", deal["id"], "sales_dept")  # ...and handed over again
    crm.run()
    assert {user for user in MOSCOW_SALES if crm.sees(user, deal["id"])} == MOSCOW_SALES


def test_bk07_sales_returns_the_deal_to_the_operator_who_had_it(crm):
    deal = _hand_to_sales(crm, "kzn", "Возврат в колл-центр")
    crm.update("sabirova.l", deal["id"], assignee="sabirova.l")
    crm.run()
    crm.clock.advance(hours=1)
    crm.move("sabirova.l", deal["id"], "cc_processing")
    crm.run()
    got = crm.get(deal["id"])
    assert (got["stage"], got["department"], got["assignee"]) == ("cc_processing", "call_center", "ivanova.a")
    assert crm.titles("ivanova.a", deal["id"])[0] == "Отдел продаж вернул вам сделку: Возврат в колл-центр"
    assert crm.sees("ivanova.a", deal["id"])


def test_bk37_a_big_debt_makes_the_deal_important_for_the_call_center_planner(crm):
    small, big = crm.lead(debt_total="350000"), crm.lead()
    born_big = crm.lead(debt_total="2400000")
    crm.run()
    crm.update("ivanova.a", big["id"], debt_total="1200000")
    crm.run()
    assert [crm.get(d["id"])["important"] for d in (small, big, born_big)] == [None, True, True]


def test_bk20_a_missed_call_from_an_unknown_number_creates_a_call_back_task(crm):
    known = crm.client("Известная")
    unknown = new_phone()
    for payload in ({"phone": unknown, "missed": True, "called_at": "2026-11-23T10:05:00+03:00"},
                    {"phone": known["phone"], "missed": True},  # a client we know: no task, the call is logged
                    {"phone": new_phone(), "missed": False, "duration": 95, "operator": "fedorova.v"}):
        assert crm.webhook("bk20_telephony_call", payload) == "fired"
    crm.run()
    calls = {c["phone"]: c for c in crm.sf.records.list(crm.sf.system, "bankruptcy_crm", "call", limit=200).items}
    assert (calls[unknown]["missed"], calls[unknown]["known_number"], calls[unknown]["client"]) == (True, False, None)
    assert calls[unknown]["called_at"] == "2026-11-23T07:05:00Z"
    assert (calls[known["phone"]]["known_number"], calls[known["phone"]]["client"]) == (True, known["id"])
    [task] = crm.linked("task", "call", calls[unknown]["id"])
    assert (task["title"], task["kind"], task["status"]) == (f"Перезвонить: пропущенный звонок с {unknown}", "call", "new")
    assert task["assignee"] in OPERATORS | {"petrova.e"}  # call-back tasks go round the call center
    assert crm.linked("task", "call", calls[known["phone"]]["id"]) == []


@pytest.mark.postgres
def test_bk20_the_telephony_webhook_is_accepted_on_postgresql(fresh_crm):
    assert fresh_crm.webhook("bk20_telephony_call", {"phone": new_phone(), "missed": True}) == "fired"


def test_bk28_automatic_deals_from_avito_are_switched_off_those_from_the_site_are_not(crm):
    phone_site, phone_avito = new_phone(), new_phone()
    assert crm.webhook("bk28_site_leads", {"phone": phone_site, "name": "Олег", "city": "kzn",
                                           "utm_source": "vasya"}) == "fired"
    assert crm.webhook("bk28_avito_leads", {"phone": phone_avito, "name": "Ирина"}) == "disabled"
    crm.run()
    deals = crm.sf.records.list(crm.sf.system, "bankruptcy_crm", "deal", limit=500).items
    [lead] = [d for d in deals if d["client_phone"] == phone_site]
    assert (lead["title"], lead["city"], lead["channel"], lead["stage"], lead["created_by"]) == (
        "Заявка: Олег", "kzn", "web_form", "new_lead", "system")
    assert (lead["source"], lead["department"]) == ("vasya", "call_center")  # then BK01 and the queue (BK19)
    assert [d for d in deals if d["client_phone"] == phone_avito] == []
