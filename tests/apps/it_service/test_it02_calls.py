"""IT02: an incoming call becomes a "take in work" task in the department's queue; the client
keeps the history of its calls with their comments."""
from __future__ import annotations

import pytest

from .support import make_client

WEB_HEAD, WEB = "m.sokolov", ("a.grishin", "e.pavlova", "m.sokolov", "n.lebedev", "o.zaitseva")


def take_a_call(app, client_id: int, user: str = "m.orlova", **values) -> dict:
    """Someone presses the phone button and fills the short form."""
    form = {"call_at": "2026-06-15T10:30:00", "client": client_id, "caller_name": "Петрова Анна Сергеевна",
            "caller_phone": "+7 (84468) 4-11-22", "matter": "Не открывается раздел «Документы» на сайте",
            "department": "web", "received_by": user, **values}
    return app.create("incoming_call", user, **form)


def test_it02_call_creates_a_take_in_work_task_in_the_departments_queue(it_db):
    client = make_client(it_db)
    call = take_a_call(it_db, client["id"], urgent=True)
    it_db.run()

    [task] = it_db.tasks(incoming_call=call["id"])
    assert (task["task_type"], task["department"], task["assignee"], task["status"]) == (
        "take_in_work", "web", None, "new")
    assert task["title"] == "Взять в работу: Петрова Анна Сергеевна — Не открывается раздел «Документы» на сайте"
    assert (task["client"], task["priority"], task["deadline"]) == (client["id"], "high", "2026-06-16T10:30:00Z")
    assert "тел. +7 (84468) 4-11-22" in task["description"]
    # The queue: everyone in the web department sees the task, the legal department does not.
    assert all(task["id"] in {t["id"] for t in it_db.list("task", user)} for user in WEB)
    assert task["id"] not in {t["id"] for t in it_db.list("task", "d.karpov")}
    assert it_db.inbox(WEB_HEAD) == [f"Новая задача в очереди отдела: {task['title']}"]
    assert it_db.said("incoming_call", call["id"]) == ["Передано в отдел web задачей «Взять в работу»"]
    assert it_db.outcomes("call_take_in_work") == ["fired"]


def test_it02_an_ordinary_call_task_has_normal_priority(it):
    client = it.find("client")[0]
    call = take_a_call(it, client["id"], department="legal", matter="Проверить проект постановления")
    it.run()
    [task] = it.tasks(incoming_call=call["id"])
    assert (task["priority"], task["department"]) == ("normal", "legal")
    assert it.inbox("t.smirnova") == [f"Новая задача в очереди отдела: {task['title']}"]
    assert it.inbox(WEB_HEAD) == []


def test_it02_the_first_to_take_the_task_keeps_it(it):
    call = take_a_call(it, it.find("client")[0]["id"])
    it.run()
    [task] = it.tasks(incoming_call=call["id"])

    assert it.press("e.pavlova", "task", task["id"], "task_take") == "fired"
    it.run()
    assert it.press("a.grishin", "task", task["id"], "task_take") == "skipped"  # too late
    got = it.get("task", task["id"])
    assert (got["assignee"], got["status"]) == ("e.pavlova", "in_progress")
    assert it.said("task", task["id"]) == ["Задачу взял(а) в работу e.pavlova"]
    # The queue notice every member of the department got, and no notice of taking it.
    assert it.inbox("e.pavlova") == [f"Новая задача в очереди отдела: {task['title']}"]

    # The head hands it over to a colleague, who is told.
    it.update("task", task["id"], WEB_HEAD, assignee="a.grishin")
    it.run()
    assert it.inbox("a.grishin") == [f"Вам назначена задача: {task['title']}",
                                     f"Новая задача в очереди отдела: {task['title']}"]

    it.update("task", task["id"], "a.grishin", status="done", result="Права на раздел восстановлены")
    it.run()
    assert it.get("task", task["id"])["completed_at"] == "2026-06-15T09:00:00Z"


def test_it02_the_client_card_keeps_the_history_of_calls_with_comments(it):
    client = it.get("client", it.find("incoming_call")[0]["client"])  # a client who has called before
    before = it.find("incoming_call", client=client["id"])
    assert before
    call = take_a_call(it, client["id"], call_at="2026-06-15T11:00:00")
    it.run()
    it.comment("e.pavlova", "incoming_call", call["id"], "Перезвонила, договорились на завтра")

    # The card's related list: the client's calls, newest first, as a manager sees them.
    history = it.list("incoming_call", "a.volkov", where={"field": "client", "op": "eq", "value": client["id"]},
                      sort="-call_at")
    assert [c["id"] for c in history] == [call["id"]] + [c["id"] for c in sorted(
        before, key=lambda c: c["call_at"], reverse=True)]
    assert [c["body"] for c in it.timeline("incoming_call", call["id"], include_robots=False)] == [
        "Перезвонила, договорились на завтра"]


def test_it02_everyone_in_the_target_department_is_told_about_the_call(it):
    call = take_a_call(it, it.find("client")[0]["id"])
    it.run()
    [task] = it.tasks(incoming_call=call["id"])
    for user in WEB:
        assert it.inbox(user) == [f"Новая задача в очереди отдела: {task['title']}"], user


def test_it02_taking_the_task_marks_the_call_in_work(it):
    call = take_a_call(it, it.find("client")[0]["id"])
    it.run()
    [task] = it.tasks(incoming_call=call["id"])
    it.press("e.pavlova", "task", task["id"], "task_take")
    it.run()
    assert it.get("incoming_call", call["id"])["status"] == "in_work"


@pytest.mark.postgres
def test_it02_a_lawyer_takes_a_call_task_on_postgresql(it_db):
    client = make_client(it_db)
    for _ in range(10):
        take_a_call(it_db, client["id"], department="legal")
    it_db.run()
    task = it_db.tasks()[-1]
    assert task["id"] >= 10
    assert it_db.press("y.vasilieva", "task", task["id"], "task_take") == "fired"
