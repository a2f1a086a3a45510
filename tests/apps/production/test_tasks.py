"""Task queues, blocked tasks and the chains of tasks an order type starts (PR15, PR19, PR20)."""
from __future__ import annotations

MANAGER, PRODUCTION = "d.orlov", "v.kozlov"
QUEUE = {"any": [{"field": "stage", "op": "eq", "value": "new"}, {"field": "stage", "op": "eq", "value": "in_progress"}]}


def queue(plant, username):
    """What an employee sees as their queue: their open tasks (new, in progress), most important first."""
    where = {"all": [{"field": "assignee", "op": "eq", "value": username}, QUEUE]}
    return [t["title"] for t in plant.query("task", where, by=username, sort="-queue_score,deadline")]


def job(plant, title, assignee="g.sergeev", **values):
    return plant.create("task", PRODUCTION, title=title, task_type="welding", assignee=assignee, **values)


def finish(plant, task_id, who):
    plant.move("task", task_id, who, "in_progress")
    plant.move("task", task_id, who, "done")
    plant.run()


def start_order(plant, order_type="standard_gate", number="З-26-201", priority="high"):
    """A sales manager opens an order and puts it to work."""
    order = plant.create("order", MANAGER, number=number, title=f"Заказ {number}", order_type=order_type,
                         priority=priority, manager=MANAGER)
    plant.update("order", order["id"], MANAGER, due_date="2026-07-30", stage="planning")
    plant.update("order", order["id"], MANAGER, start_date="2026-06-16", stage="in_work")
    plant.run()
    return order


def chain(plant, order_id):
    return plant.find("task", order=order_id)


# -- PR15 ------------------------------------------------------------------------------------------

def test_pr15_each_employee_has_a_queue_ordered_by_task_priority_then_order_priority(any_plant):
    plant = any_plant
    job(plant, "Обычная задача, заказ низкий", priority="normal", order_priority="low")
    job(plant, "Обычная задача, заказ срочный", priority="normal", order_priority="urgent")
    job(plant, "Срочная задача, заказ низкий", priority="urgent", order_priority="low")
    job(plant, "Высокая задача без заказа", priority="high")
    job(plant, "Обычная, срок раньше", priority="normal", order_priority="low", deadline="2026-06-16T10:00:00Z")
    blocker = job(plant, "Чужая задача", assignee="f.belov")
    job(plant, "Ждёт другую задачу", priority="urgent", blocked_by=blocker["id"])
    done = job(plant, "Уже сделана", priority="urgent")
    plant.run()
    finish(plant, done["id"], "g.sergeev")
    job(plant, "Чужая очередь", assignee="i.komarov", priority="urgent")
    plant.run()
    assert queue(plant, "g.sergeev") == [
        "Срочная задача, заказ низкий", "Высокая задача без заказа", "Обычная задача, заказ срочный",
        "Обычная, срок раньше", "Обычная задача, заказ низкий"]


# -- PR19 ------------------------------------------------------------------------------------------

def test_pr19_a_task_blocked_by_another_leaves_the_queue(plant):
    blocker = job(plant, "Сварка каркаса", assignee="f.belov")
    waiting = job(plant, "Зачистка швов", blocked_by=blocker["id"])
    busy = job(plant, "Сварка калитки")
    plant.run()
    assert plant.get("task", waiting["id"])["stage"] == "blocked"
    told = next(n for n in plant.inbox("g.sergeev") if n["record_id"] == waiting["id"])
    assert told["body"].startswith(f"Задача ждёт выполнения задачи #{blocker['id']}.")
    plant.move("task", busy["id"], "g.sergeev", "in_progress")
    plant.update("task", busy["id"], PRODUCTION, blocked_by=blocker["id"])  # it turns out to depend on it too
    plant.run()
    assert plant.get("task", busy["id"])["stage"] == "blocked"
    assert queue(plant, "g.sergeev") == []


def test_pr19_a_chained_task_enters_the_queue_when_its_blocker_is_done_and_its_assignee_is_told(plant):
    order = start_order(plant)
    [drawings] = chain(plant, order["id"])
    assert queue(plant, "f.belov") == []  # the welder's task waits for the drawings
    finish(plant, drawings["id"], "k.egorov")
    [welding] = [t for t in chain(plant, order["id"]) if t["id"] != drawings["id"]]
    assert (welding["assignee"], welding["blocked_by"], welding["stage"]) == ("f.belov", drawings["id"], "new")
    assert queue(plant, "f.belov") == [welding["title"]]
    [note] = plant.inbox("f.belov")
    assert note["title"] == f"Новая задача: {welding['title']}"
    assert note["body"].startswith(f"Предыдущая задача #{drawings['id']} выполнена, можно начинать.")


def test_pr19_a_task_blocked_by_hand_returns_to_the_queue_when_its_blocker_is_done(plant):
    blocker = job(plant, "Сварка каркаса", assignee="f.belov")
    waiting = job(plant, "Зачистка швов", blocked_by=blocker["id"])
    plant.run()
    finish(plant, blocker["id"], "f.belov")
    assert plant.get("task", waiting["id"])["stage"] == "new"
    assert any("Зачистка швов" in t for t in plant.titles("g.sergeev")[:1])


# -- PR20 ------------------------------------------------------------------------------------------

def test_pr20_an_order_type_starts_its_predefined_chain_of_tasks(plant):
    order = start_order(plant, "standard_gate")
    assert plant.get("order", order["id"])["tasks_started_at"] == "2026-06-15T06:00:00Z"
    steps = [("design_drawing", "k.egorov"), ("weld_frame", "f.belov"), ("paint_powder", "l.kiselev"),
             (None, "a.vasiliev")]
    for number, (subtype, who) in enumerate(steps):
        tasks = chain(plant, order["id"])
        assert len(tasks) == number + 1
        current = tasks[-1]
        assert (current["task_subtype"], current["assignee"]) == (subtype, who)
        assert (current["order_type"], current["order_priority"], current["manager"]) == ("standard_gate", "high", MANAGER)
        assert current["blocked_by"] == (tasks[-2]["id"] if number else None)
        finish(plant, current["id"], who)
    assert [t["task_type"] for t in chain(plant, order["id"])] == ["design", "welding", "painting", "assembly"]
    assert all(t["stage"] == "done" for t in chain(plant, order["id"]))

    # An order put on hold and back to work does not start its chain again.
    plant.move("order", order["id"], MANAGER, "on_hold")
    plant.move("order", order["id"], MANAGER, "in_work")
    plant.run()
    assert len(chain(plant, order["id"])) == 4


def test_pr20_other_order_types_start_other_chains(plant):
    stairs = start_order(plant, "stairs", "З-26-202", priority="normal")
    [drawings] = chain(plant, stairs["id"])
    finish(plant, drawings["id"], drawings["assignee"])
    bom = chain(plant, stairs["id"])[-1]
    assert (bom["task_subtype"], bom["department"]) == ("design_bom", "design_bureau")
    finish(plant, bom["id"], bom["assignee"])
    assert chain(plant, stairs["id"])[-1]["task_subtype"] == "weld_frame"

    mounting = start_order(plant, "installation_only", "З-26-203")
    [only] = chain(plant, mounting["id"])
    assert (only["task_subtype"], only["department"], only["assignee"]) == ("inst_structure", "installation", "d.frolov")

    rework = start_order(plant, "claim_rework", "З-26-204", priority="urgent")
    [fix] = chain(plant, rework["id"])
    assert (fix["task_subtype"], fix["department"]) == ("claim_workshop", "workshop_welding")
    finish(plant, fix["id"], fix["assignee"])
    assert chain(plant, rework["id"])[-1]["task_subtype"] == "paint_liquid"
    assert plant.failures() == []
