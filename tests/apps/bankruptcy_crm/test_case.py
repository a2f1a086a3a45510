"""Lawyers and the hand-over to support: who sees the client's data, who holds the deal, and the
deadlines (BK03, BK11, BK12, BK14, BK15, BK21, BK22)."""
from __future__ import annotations

import pytest

from stageflow.data.record_context import RecordNotFound
from stageflow.security import AccessDenied

from .support import place

PERSONAL = ("passport_number", "snils", "inn", "registration_address")
LAWYERS = {"lawyer": "egorov.p", "snils": "629-531-935 18", "inn": "777079377266", "debt_total": "850000"}


def _with_lawyers(crm, title: str) -> dict:
    """A deal the Moscow seller lebedev.k hands to the lawyers (egorov.p) today."""
    deal = place(crm, "documents", title=title)
    crm.move("lebedev.k", deal["id"], "lawyers", **LAWYERS)
    crm.run()
    return crm.get(deal["id"])


def _to_support(crm, title: str) -> dict:
    deal = place(crm, "lawyers", title=title)
    crm.move("egorov.p", deal["id"], "handed_to_support")  # the lawyer hands it over early, by hand
    crm.run()
    return crm.get(deal["id"])


def test_bk03_from_the_lawyers_stage_the_clients_data_is_for_the_assignee(crm):
    deal = place(crm, "documents", title="Персональные данные", snils="629-531-935 18", inn="777079377266")
    for user in ("belova.i", "morozov.a", "romanova.s"):  # the legal head, the sales head, the accountant
        crm.sf.records.set_member(crm.sf.actor("lebedev.k"), "bankruptcy_crm", "deal", deal["id"], user, "watcher")
    assert all(crm.get(deal["id"], user="lebedev.k")[f] for f in PERSONAL)  # the seller works with it until then
    assert crm.get(deal["id"], user="belova.i")["passport_number"] == "4516 336459"
    crm.move("lebedev.k", deal["id"], "lawyers", **LAWYERS)
    crm.run()
    got = crm.get(deal["id"], user="egorov.p")
    assert (got["assignee"], got["passport_number"], got["inn"]) == ("egorov.p", "4516 336459", "777079377266")
    for user in ("lebedev.k", "morozov.a", "ivanova.a", "romanova.s"):  # seller, sales head, operator, accountant
        seen = crm.get(deal["id"], user=user)
        assert [f for f in PERSONAL if f in seen] == [], user
    assert not crm.sees("belova.i", deal["id"])  # the legal head only watched: no longer
    assert not crm.sees("makarova.d", deal["id"])  # another lawyer
    assert "belova.i" not in crm.watchers(deal["id"])
    assert {"morozov.a", "romanova.s"} <= crm.watchers(deal["id"])  # their roles hide the data


def test_bk15_on_entering_lawyers_the_deals_lawyer_becomes_the_assignee(crm):
    deal = _with_lawyers(crm, "Юрист исполнитель")
    assert (deal["assignee"], deal["lawyer"]) == ("egorov.p", "egorov.p")
    assert crm.titles("egorov.p", deal["id"]) == ["Вам передана сделка: Юрист исполнитель"]


def test_bk11_a_lawyer_returns_the_deal_with_one_button_to_its_sales_manager(crm):
    deal = _with_lawyers(crm, "Возврат менеджеру")
    with pytest.raises(AccessDenied):
        crm.press("lebedev.k", deal["id"], "bk11_return_to_sales_manager")  # the button is for lawyers
    with pytest.raises(RecordNotFound):
        crm.press("makarova.d", deal["id"], "bk11_return_to_sales_manager")  # not her deal
    crm.clock.advance(minutes=1)
    assert crm.press("egorov.p", deal["id"], "bk11_return_to_sales_manager") == "fired"
    crm.run()
    got = crm.get(deal["id"])
    assert (got["stage"], got["assignee"], got["sales_manager"]) == ("documents", "lebedev.k", "lebedev.k")
    assert "Юрист вернул вам сделку: Возврат менеджеру" in crm.titles("lebedev.k", deal["id"])
    assert crm.said(deal["id"])[-1] == "egorov.p вернул(а) сделку менеджеру продаж lebedev.k."
    assert crm.get(deal["id"], user="lebedev.k")["passport_number"] == "4516 336459"  # his to work with again
    assert crm.press("egorov.p", deal["id"], "bk11_return_to_sales_manager") == "skipped"  # no longer at lawyers


def test_bk11_the_firms_administrator_may_press_the_lawyers_button_too(crm):
    deal = _with_lawyers(crm, "Кнопка администратора")
    assert crm.press("kuzmin.a", deal["id"], "bk11_return_to_sales_manager") == "fired"


def test_bk21_bk22_sixty_days_after_the_first_payment_the_deal_goes_to_support(fresh_crm):
    crm = fresh_crm
    deal = _with_lawyers(crm, "Шестьдесят дней")
    paid_on = crm.get(deal["id"])["first_payment_date"]
    crm.clock.advance(days=52, hours=22, minutes=59)  # 05:59 UTC on day 53 after the first payment
    crm.run()
    notice = "Через неделю сделка перейдёт в отдел сопровождения: Шестьдесят дней"
    assert notice not in crm.titles("egorov.p", deal["id"])
    crm.clock.advance(minutes=1)
    crm.run()
    for user in ("egorov.p", "lebedev.k"):  # the assignee and the seller
        assert notice in crm.titles(user, deal["id"])
    [mail] = crm.sent("email", "egorov.p@bankrot-demo.ru")
    assert mail == (notice, f"60 дней с первой оплаты ({paid_on}) истекают через 7 дней.")
    crm.update("egorov.p", deal["id"], description="Готовим заявление")  # later edits do not repeat it
    crm.clock.advance(days=6, hours=23, minutes=59)
    crm.run()
    assert crm.get(deal["id"])["pipeline"] == "deal_sales"
    assert [n["count"] for n in crm.inbox("egorov.p", deal["id"]) if n["title"] == notice] == [1]
    assert len(crm.sent("email", "egorov.p@bankrot-demo.ru")) == 1
    crm.clock.advance(minutes=1)  # 06:00 UTC on day 60
    crm.run()
    got = crm.get(deal["id"])
    assert (got["pipeline"], got["stage"], got["department"]) == ("deal_support", "accepted", "support")
    assert got["assignee"] in {"vasilieva.o", "nikitin.m"}  # BK15: support takes the case
    assert got["sales_manager"] == "lebedev.k"  # kept, so it can come back to sales
    assert crm.outcomes("bk21_handover_after_60_days", deal["id"]) == ["fired"]


def test_bk15_support_gives_a_new_case_to_its_least_loaded_member(crm):
    first = _to_support(crm, "Первое дело")
    second = _to_support(crm, "Второе дело")
    assert (first["pipeline"], first["stage"]) == ("deal_support", "accepted")
    assert {first["assignee"], second["assignee"]} == {"vasilieva.o", "nikitin.m"}
    assert crm.titles(second["assignee"], second["id"]) == ["Вам передано дело на сопровождение: Второе дело"]
    assert crm.sees(second["assignee"], second["id"])


def test_bk12_the_sales_time_watchers_leave_when_support_accepts_the_case(crm):
    deal = place(crm, "lawyers", title="Снятие наблюдателей")
    for user in ("morozov.a", "romanova.s"):  # who joined with the contract (test_sales.py)
        crm.sf.records.set_member(crm.sf.system, "bankruptcy_crm", "deal", deal["id"], user, "watcher")
    crm.move("egorov.p", deal["id"], "handed_to_support")
    crm.run()
    assert crm.watchers(deal["id"]) == set()
    assert (crm.get(deal["id"])["pipeline"], crm.get(deal["id"])["stage"]) == ("deal_support", "accepted")


def test_bk14_thirty_days_without_a_filed_application_alerts_the_heads(crm):
    late, filed = _to_support(crm, "Не подано"), _to_support(crm, "Подано вовремя")
    crm.clock.advance(days=10)
    crm.move(filed["assignee"], filed["id"], "application_filed", court="as_moscow",
             filing_date=crm.clock.now.date().isoformat())
    crm.run()
    crm.clock.advance(days=19, hours=23)
    crm.run()
    alert = "30 дней в сопровождении, заявление в суд не подано: Не подано"
    assert alert not in crm.titles("vasilieva.o", late["id"])
    crm.clock.advance(hours=1)
    crm.run()
    for head in ("vasilieva.o", "sokolov.d"):  # the support head and the head of the firm
        assert crm.titles(head, late["id"]).count(alert) == 1
        assert crm.titles(head, filed["id"]) == [] or alert not in crm.titles(head, filed["id"])
    assert crm.get(late["id"])["deadline_alert_at"] == crm.clock.now.isoformat() + "Z"
    crm.update(late["assignee"], late["id"], description="Собираем пакет в суд")
    crm.clock.advance(days=1)
    crm.run()
    assert [n["count"] for n in crm.inbox("vasilieva.o", late["id"]) if n["title"] == alert] == [1]
