"""IT07: when a request is closed the client contact is e-mailed a request to rate the work; the
rating lands on the request, and a low one becomes a callback task for the department head."""
from __future__ import annotations

import pytest

from stageflow.data.records import RecordValidationError

from .support import make_client

PORTAL = "s.kravchenko"
FEEDBACK = "Оцените работу по заявке «Обновить раздел «Новости»»"


def solved_request(app, client_id: int, portal_user: str | None = PORTAL, **values) -> dict:
    """A web request taken, worked on and resolved by its specialist."""
    request = app.create("service_request", "p.tarasov", **{
        "subject": "Обновить раздел «Новости»", "client": client_id, "channel": "portal", "category": "site_content",
        "received_at": "2026-06-15T09:00:00", "description": "Разместить три новости.",
        "requester_name": "Кравченко Светлана Юрьевна", "portal_user": portal_user, **values})
    app.run()
    specialist = app.get("service_request", request["id"])["assignee"]
    app.update("service_request", request["id"], specialist, stage="in_progress")
    app.update("service_request", request["id"], specialist, resolution="Новости размещены", stage="resolved")
    app.run()
    return app.get("service_request", request["id"])


def test_it07_closing_a_request_queues_the_feedback_email_to_the_client_contact(it_db):
    app = it_db
    request = solved_request(app, make_client(app)["id"])
    assert (request["first_response_at"], request["resolved_at"]) == ("2026-06-15T09:00:00Z", "2026-06-15T09:00:00Z")
    assert app.inbox(PORTAL) == ["Заявка решена: Обновить раздел «Новости»"]

    app.clock.advance(hours=2)
    app.update("service_request", request["id"], "m.sokolov", stage="closed")
    app.run()
    got = app.get("service_request", request["id"])
    assert (got["closed_at"], got["feedback_requested_at"]) == ("2026-06-15T11:00:00Z", "2026-06-15T11:00:00Z")
    [mail] = app.emails(f"{PORTAL}@itservice-demo.ru")
    assert (mail["subject"], mail["status"]) == (FEEDBACK, "sent")
    assert mail["body"].startswith("Здравствуйте, Кравченко Светлана Юрьевна!\nЗаявка «Обновить раздел «Новости»» закрыта.")
    assert app.inbox(PORTAL)[0] == FEEDBACK


def test_it07_a_resolved_request_closes_itself_after_three_days_and_asks_for_feedback(it):
    client_id = it.find("contact", portal_user=PORTAL)[0]["client"]
    quiet, reopened = solved_request(it, client_id), solved_request(it, client_id, subject="Ещё одна заявка")
    it.later(days=1)
    it.update("service_request", reopened["id"], reopened["assignee"], stage="in_progress")  # the client objected
    it.later(days=2, minutes=1)
    assert it.get("service_request", quiet["id"])["stage"] == "closed"
    assert it.get("service_request", reopened["id"])["stage"] == "in_progress"
    assert [m["subject"] for m in it.emails() if m["subject"].startswith("Оцените")] == [FEEDBACK]


def test_it07_the_client_rates_the_closed_request(it):
    request = solved_request(it, it.find("contact", portal_user=PORTAL)[0]["client"])
    with pytest.raises(RecordValidationError) as refused:
        it.update("service_request", request["id"], PORTAL, rating=5)  # not closed yet
    assert "rating" in refused.value.errors
    it.update("service_request", request["id"], "m.sokolov", stage="closed")
    it.run()
    it.clock.advance(days=1)
    it.update("service_request", request["id"], PORTAL, rating=5, feedback_comment="Спасибо, быстро!")
    it.run()
    got = it.get("service_request", request["id"])
    assert (got["rating"], got["feedback_received_at"]) == (5, "2026-06-16T09:00:00Z")
    assert it.tasks(service_request=request["id"], task_type="callback") == []


def test_it07_a_low_rating_gives_the_department_head_a_callback_task(it):
    request = solved_request(it, it.find("contact", portal_user=PORTAL)[0]["client"])
    it.update("service_request", request["id"], "m.sokolov", stage="closed")
    it.run()
    it.update("service_request", request["id"], PORTAL, rating=2, feedback_comment="Новости с ошибками")
    it.run()
    [task] = it.tasks(service_request=request["id"], task_type="callback")
    assert (task["assignee"], task["department"], task["priority"]) == ("m.sokolov", "web", "high")
    assert task["title"] == "Перезвонить клиенту: оценка 2 по заявке «Обновить раздел «Новости»»"
    assert task["description"] == f"Отзыв клиента: Новости с ошибками\nИсполнитель заявки: {request['assignee']}"
    assert it.inbox("m.sokolov")[0] == f"Вам назначена задача: {task['title']}"


def test_it07_a_client_without_a_portal_account_is_emailed_at_the_requesters_address(it):
    request = solved_request(it, it.find("client")[0]["id"], portal_user=None, channel="phone",
                             requester_email="adm.erzovka@mo34-demo.ru")
    it.update("service_request", request["id"], "m.sokolov", stage="closed")
    it.run()
    assert [m["recipient"] for m in it.emails() if m["subject"] == FEEDBACK] == ["adm.erzovka@mo34-demo.ru"]
