"""Sales: the consultation, the contract, the payments and the documents
(BK04, BK06, BK08, BK10, BK12, BK13, BK16, BK17, BK18, BK34)."""
from __future__ import annotations

import pytest

from stageflow.data.records import RecordValidationError
from stageflow.data.stages import StageMoveRefused

from .support import SALES_PATH, place


def test_bk04_booking_a_consultation_sends_the_client_an_sms_with_a_unique_code(fresh_crm):
    crm = fresh_crm
    first, second = place(crm, "cc_processing", title="Первый"), place(crm, "cc_processing", title="Второй")
    for deal in (first, second):
        crm.move("ivanova.a", deal["id"], "consultation_booked")
        crm.run()
    codes = [crm.get(d["id"])["client_code"] for d in (first, second)]
    assert codes == [f"BK-{first['id']:05d}", f"BK-{second['id']:05d}"]
    for deal, code in zip((first, second), codes):
        text = (f"Вы записаны на бесплатную консультацию по банкротству. Ваш код клиента {code}, "
                "назовите его администратору. Тел. +7 495 120-45-00")
        assert crm.sent("sms", deal["client_phone"]) == [(None, text)]
        [sms] = crm.linked("sms_message", "deal", deal["id"])
        assert (sms["phone"], sms["text"], sms["kind"]) == (deal["client_phone"], text, "auto")
    # Booked again later: a new SMS, the same code.
    crm.move("ivanova.a", first["id"], "cc_processing")
    crm.run()
    crm.move("ivanova.a", first["id"], "consultation_booked")
    crm.run()
    assert crm.get(first["id"])["client_code"] == codes[0]
    assert len(crm.sent("sms", first["client_phone"])) == 2


def test_bk04_a_lead_cannot_be_booked_without_a_client_card(crm):
    deal = crm.create("ivanova.a", "deal", title="Без клиента", request_date="2026-11-23", city="msk",
                      client_phone="+7 916 000-00-01", assignee="ivanova.a")
    crm.move("ivanova.a", deal["id"], "cc_processing")
    with pytest.raises(StageMoveRefused, match="fill in Client first"):
        crm.move("ivanova.a", deal["id"], "consultation_booked")


def test_bk06_after_the_consultation_the_assignee_is_told_to_send_the_links_about_us(crm):
    deal = place(crm, "sales_dept", title="Ссылки о нас")
    crm.move("lebedev.k", deal["id"], "consultation_held")
    crm.run()
    assert crm.titles("lebedev.k", deal["id"])[0] == "Вышлите клиенту список ссылок о нашей компании: Ссылки о нас"


def test_bk12_the_sales_head_and_the_accountant_watch_the_deal_from_the_contract_on(crm):
    deal = place(crm, "consultation_held", title="Наблюдатели")
    assert crm.watchers(deal["id"]) == set()
    crm.move("lebedev.k", deal["id"], "contract_signed", **SALES_PATH[4][2])
    crm.run()
    assert crm.watchers(deal["id"]) == {"morozov.a", "romanova.s"}


def test_bk17_a_deal_cannot_be_refused_without_a_reason(crm):
    deal = crm.lead(title="Отказ")
    crm.run()
    crm.update("ivanova.a", deal["id"], assignee="ivanova.a")
    crm.move("ivanova.a", deal["id"], "cc_processing")
    with pytest.raises(StageMoveRefused, match="cannot move to 'Refused': fill in Refusal reason first"):
        crm.move("ivanova.a", deal["id"], "refused")
    assert crm.get(deal["id"])["stage"] == "cc_processing"
    crm.move("ivanova.a", deal["id"], "refused", refusal_reason="too_expensive")
    assert crm.get(deal["id"])["stage"] == "refused"


def test_bk18_anyone_on_the_deal_can_send_the_client_an_sms_with_free_text(crm):
    deal = place(crm, "consultation_held", title="SMS клиенту")
    before = len(crm.sent("sms", deal["client_phone"]))
    assert crm.press("lebedev.k", deal["id"], "bk18_sms_to_client") == "skipped"  # nothing written yet
    crm.update("lebedev.k", deal["id"], sms_text="Мария, договор готов, ждём вас завтра в 11:00.")
    assert crm.press("lebedev.k", deal["id"], "bk18_sms_to_client") == "fired"
    crm.clock.advance(minutes=5)
    crm.update("ivanova.a", deal["id"], sms_text="Напоминаем о встрече завтра.")  # the operator who had it
    assert crm.press("ivanova.a", deal["id"], "bk18_sms_to_client") == "fired"
    crm.run()
    assert [body for _, body in crm.sent("sms", deal["client_phone"])][before:] == [
        "Мария, договор готов, ждём вас завтра в 11:00.", "Напоминаем о встрече завтра."]
    manual = [(s["text"], s["sender"]) for s in sorted(crm.linked("sms_message", "deal", deal["id"]),
                                                       key=lambda s: s["id"]) if s["kind"] == "manual"]
    assert manual == [("Мария, договор готов, ждём вас завтра в 11:00.", "lebedev.k"),
                      ("Напоминаем о встрече завтра.", "ivanova.a")]
    assert crm.get(deal["id"])["sms_text"] is None


def _payments(crm, deal_id: int):
    """The schedule the sales head enters, and a payment the accountant records as already paid."""
    for number, planned in ((1, "2026-11-30"), (2, "2026-12-30")):
        crm.create("morozov.a", "payment", deal=deal_id, number=number, planned_date=planned, amount="20000",
                   kind="first" if number == 1 else "installment", manager="lebedev.k")
    crm.create("romanova.s", "payment", deal=deal_id, number=3, planned_date="2026-11-20", amount="5000",
               kind="state_fee", manager="lebedev.k", paid=True, paid_date="2026-11-20", paid_amount="5000")
    crm.run()
    return {p["number"]: p for p in crm.linked("payment", "deal", deal_id)}


def test_bk08_each_expected_payment_gets_a_finance_task_to_control_it(crm):
    deal = place(crm, "payments", title="Контроль оплат")
    payments = _payments(crm, deal["id"])
    tasks = {t["payment"]: t for t in crm.linked("task", "deal", deal["id"]) if t["kind"] == "finance"}
    assert set(tasks) == {payments[1]["id"], payments[2]["id"]}  # the one already paid needs no control
    task = tasks[payments[1]["id"]]
    assert (task["title"], task["assignee"], task["deadline"], task["priority"], task["close_by_button_only"]) == (
        "Проконтролировать оплату №1 на 20000.00 ₽ до 2026-11-30", "lebedev.k", "2026-11-30T15:00:00Z", "high", True)


def test_bk34_a_finance_task_is_closed_only_through_its_button(crm):
    deal = place(crm, "payments", title="Кнопка закрытия")
    payments = _payments(crm, deal["id"])
    [task] = [t for t in crm.linked("task", "payment", payments[1]["id"])]
    for user in ("lebedev.k", "morozov.a", "sokolov.d"):  # the assignee, the head, the firm's head
        if user != "sokolov.d":
            with pytest.raises(RecordValidationError) as refused:
                crm.update(user, task["id"], "task", status="done")
            assert refused.value.errors == {"status": "is read-only for you"}
    with pytest.raises(RecordValidationError):
        crm.update("lebedev.k", task["id"], "task", close_by_button_only=False)
    assert crm.press("lebedev.k", task["id"], "bk34_close_finance_task", entity="task") == "fired"
    got = crm.get(task["id"], "task")
    assert (got["status"], got["completed_at"]) == ("done", crm.clock.now.isoformat() + "Z")
    assert crm.said(task["id"], "task") == ["Задача закрыта кнопкой: lebedev.k."]
    assert crm.press("lebedev.k", task["id"], "bk34_close_finance_task", entity="task") == "skipped"  # closed


def test_bk10_collecting_documents_adds_the_26_item_checklist(crm):
    deal = place(crm, "payments", title="Чек-лист")
    crm.move("lebedev.k", deal["id"], "documents")
    crm.run()
    checklist = crm.get(deal["id"])["documents_checklist"]
    assert len(checklist) == 26 and not any(item["done"] for item in checklist)
    assert (checklist[0]["text"], checklist[-1]["text"]) == ("Паспорт (все страницы)", "Список кредиторов и должников")
    checklist[0]["done"] = True
    crm.update("lebedev.k", deal["id"], documents_checklist=checklist)
    for task in crm.linked("task", "deal", deal["id"]):  # the legal head's review (BK16) lets it go
        crm.update("belova.i", task["id"], "task", status="done")
    crm.move("lebedev.k", deal["id"], "payments")
    crm.run()
    crm.move("lebedev.k", deal["id"], "documents")  # coming back keeps what was collected
    crm.run()
    assert crm.get(deal["id"])["documents_checklist"][0] == {"text": "Паспорт (все страницы)", "done": True}


def test_bk13_the_assignee_is_told_which_fields_the_lawyers_will_need(crm):
    bare = place(crm, "payments", title="Пустые поля", inn="777079377266")
    ready = place(crm, "payments", title="Всё заполнено", lawyer="egorov.p", snils="629-531-935 18",
                  inn="777079377266", debt_total="900000")
    for deal in (bare, ready):
        crm.move("lebedev.k", deal["id"], "documents")
    crm.run()
    [told] = [n for n in crm.inbox("lebedev.k", bare["id"]) if n["title"].startswith("Заполните")]
    assert (told["title"], told["body"]) == ("Заполните поля для передачи юристам: Пустые поля",
                                             "Не заполнено: юрист, СНИЛС, общая сумма долга.")
    assert [n for n in crm.inbox("lebedev.k", ready["id"]) if n["title"].startswith("Заполните")] == []


def test_bk16_the_deal_stays_in_documents_while_other_peoples_tasks_are_open(crm):
    deal = place(crm, "payments", title="Подзадачи")
    crm.move("lebedev.k", deal["id"], "documents")
    crm.run()
    [review] = [t for t in crm.linked("task", "deal", deal["id"]) if t["kind"] == "documents"]
    assert (review["assignee"], review["blocks_deal"], review["status"]) == ("belova.i", True, "new")
    own = crm.create("lebedev.k", "task", title="Позвонить клиенту", deal=deal["id"], assignee="lebedev.k",
                     blocks_deal=True)
    lawyers = {"lawyer": "egorov.p", "snils": "629-531-935 18", "inn": "777079377266", "debt_total": "900000"}
    with pytest.raises(StageMoveRefused, match="cannot leave 'Collecting documents': other people's tasks on this "
                                               r"deal are still open \(1 open\)"):
        crm.move("lebedev.k", deal["id"], "lawyers", **lawyers)
    crm.update("belova.i", review["id"], "task", status="done")
    crm.move("lebedev.k", deal["id"], "lawyers", **lawyers)  # the assignee's own task does not hold it
    assert crm.get(deal["id"])["stage"] == "lawyers" and crm.get(own["id"], "task")["status"] == "new"
