"""The production smart process and claims: the item created from the deal and approved, its
stage robots and notifications, and the trip of a deal with defects through claims (PR09-PR11)."""
from __future__ import annotations

import pytest

from stageflow.data.record_values import RecordValidationError
from stageflow.data.stages import StageMoveRefused

MANAGER, HEAD, PRODUCTION = "d.orlov", "i.volkova", "v.kozlov"
CHECKLIST = [{"text": "Размеры соответствуют чертежу", "done": True}]


def deal_in_production(plant, **values):
    """A deal the manager has brought to production (its earlier stages are proven in test_sales)."""
    c = plant.create("client", MANAGER, name="ООО «Ромашка»")
    return plant.create("deal", MANAGER, title="Навес 6×4 — ООО «Ромашка»", assignee=MANAGER, client=c["id"],
                        stage="production", production_deadline="2026-07-10", **values)


def approved_item(plant):
    """The production item of a new deal, filled in and approved by the manager and the head of sales."""
    d = deal_in_production(plant)
    plant.run()
    [item] = plant.find("production_item", deal=d["id"])
    product = plant.create("product", PRODUCTION, name="Навес односкатный", unit="pcs")
    plant.update("production_item", item["id"], MANAGER, product=product["id"], specs="Поликарбонат 8 мм, RAL 7024",
                 dimensions="6000×4000", manager_approved=True)
    plant.run()
    plant.update("production_item", item["id"], HEAD, head_approved=True)
    plant.run()
    return d, plant.get("production_item", item["id"])


# -- PR09 ------------------------------------------------------------------------------------------

def test_pr09_production_stage_creates_an_item_filled_by_the_manager_and_approved_by_manager_and_head(any_plant):
    plant = any_plant
    d = deal_in_production(plant)
    plant.run()
    [item] = plant.find("production_item", deal=d["id"])
    assert (item["pipeline"], item["stage"], item["title"]) == ("production", "queued", d["title"])
    assert (item["sales_manager"], item["planned_finish"]) == (MANAGER, "2026-07-10")
    assert plant.get("deal", d["id"])["production_requested_at"] == "2026-06-15T06:00:00Z"
    assert plant.titles(MANAGER) == [f"Заполните данные для производства: {d['title']}"]

    product = plant.create("product", PRODUCTION, name="Навес односкатный", unit="pcs")
    plant.update("production_item", item["id"], MANAGER, product=product["id"], specs="Поликарбонат 8 мм",
                 manager_approved=True)
    plant.clock.advance(hours=2)
    plant.run()
    item = plant.get("production_item", item["id"])
    assert (item["manager_approved_by"], item["manager_approved_at"]) == (MANAGER, "2026-06-15T08:00:00Z")
    assert item["stage"] == "queued"  # the head of sales has not approved yet
    assert plant.titles(HEAD) == [f"Согласуйте запуск производства: {d['title']}"]
    with pytest.raises(RecordValidationError):  # the manager cannot approve for the head
        plant.update("production_item", item["id"], MANAGER, head_approved=True)

    plant.update("production_item", item["id"], HEAD, head_approved=True)
    plant.run()
    item = plant.get("production_item", item["id"])
    assert (item["head_approved_by"], item["head_approved_at"], item["stage"]) == (HEAD, "2026-06-15T08:00:00Z", "design")
    # Leaving production and coming back does not make a second item.
    plant.update("deal", d["id"], MANAGER, installation_address="Сысерть", installation_date="2026-07-15",
                 stage="installation")
    plant.move("deal", d["id"], MANAGER, "production")
    plant.run()
    assert len(plant.find("production_item", deal=d["id"])) == 1
    assert plant.failures() == []


# -- PR10 ------------------------------------------------------------------------------------------

def test_pr10_each_production_stage_runs_its_robots_and_keeps_the_sales_manager_informed(plant):
    d, item = approved_item(plant)
    [drawings] = plant.find("task", production_item=item["id"])
    assert (drawings["task_subtype"], drawings["department"], drawings["assignee"]) == \
        ("design_drawing", "design_bureau", "k.egorov")
    assert (drawings["deal"], drawings["manager"], drawings["estimate"]) == (d["id"], MANAGER, 6 * 3600)

    with pytest.raises(StageMoveRefused, match="fill in"):
        plant.move("production_item", item["id"], PRODUCTION, "manufacturing")
    plant.update("production_item", item["id"], PRODUCTION, drawings=[plant.upload("cherteg.pdf", "k.egorov")],
                 workshop="workshop_welding", responsible="g.sergeev", planned_start="2026-06-16",
                 planned_finish="2026-06-26", stage="manufacturing")
    plant.run()
    [made] = plant.find("task", production_item=item["id"], task_type="welding")
    assert (made["assignee"], made["department"], made["deadline"]) == \
        ("g.sergeev", "workshop_welding", "2026-06-26T15:00:00Z")
    assert "Новая задача: Изготовление: " + d["title"] in plant.titles("g.sergeev")

    plant.move("production_item", item["id"], PRODUCTION, "quality_check")
    plant.run()
    [check] = plant.find("task", production_item=item["id"], task_type="quality")
    assert check["assignee"] == PRODUCTION  # the head of production
    plant.update("production_item", item["id"], PRODUCTION, actual_finish="2026-06-25",
                 quality_checklist=CHECKLIST, stage="ready")
    plant.run()
    said = [t for t in plant.titles(MANAGER) if t.startswith("Производство")]
    assert said == [f"Производство «{d['title']}»: {stage}" for stage in
                    ("готово", "контроль качества", "изготовление", "конструкторская подготовка")]  # newest first
    assert plant.failures() == []


def test_pr10_the_deal_moves_on_when_production_is_done(plant):
    d, item = approved_item(plant)
    plant.update("deal", d["id"], MANAGER, installation_address="Сысерть", installation_date="2026-07-15")
    plant.update("production_item", item["id"], PRODUCTION, drawings=[plant.upload("cherteg.pdf", "k.egorov")],
                 workshop="workshop_welding", responsible="g.sergeev", planned_start="2026-06-16",
                 planned_finish="2026-06-26", stage="manufacturing")
    plant.move("production_item", item["id"], PRODUCTION, "quality_check")
    plant.update("production_item", item["id"], PRODUCTION, actual_finish="2026-06-25",
                 quality_checklist=CHECKLIST, stage="ready")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "installation"


# -- PR11 ------------------------------------------------------------------------------------------

def test_pr11_a_deal_closed_with_defects_goes_through_claims_and_returns_to_its_pipeline(plant):
    c = plant.create("client", MANAGER, name="ИП Петров")
    d = plant.create("deal", MANAGER, title="Ворота распашные — ИП Петров", assignee=MANAGER, client=c["id"],
                     stage="closing")
    act = plant.upload("akt.pdf", MANAGER)
    plant.update("deal", d["id"], MANAGER, acceptance_act_file=[act], result="defects")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "closing"  # the defects are not described yet
    with pytest.raises(StageMoveRefused, match="defect kinds and the claim description"):
        plant.move("deal", d["id"], MANAGER, "won")

    plant.update("deal", d["id"], MANAGER, defect_kinds=["coating", "geometry"],
                 claim_description="Скол покрытия на створке, створка задевает столб")
    plant.run()
    d = plant.get("deal", d["id"])
    assert (d["pipeline"], d["stage"], d["assignee"]) == ("claims", "claim_received", "n.fedorova")
    assert (d["origin_pipeline"], d["origin_stage"], d["origin_assignee"]) == ("sales", "closing", MANAGER)
    assert plant.history("deal", d["id"], "stage")[-2:] == ["won", "claim_received"]
    assert f"Вам передана сделка: {d['title']}" in plant.titles("n.fedorova")
    assert d["id"] in [x["id"] for x in plant.find("deal", by=MANAGER)]  # the manager still sees it

    plant.move("deal", d["id"], "n.fedorova", "inspection")
    plant.update("deal", d["id"], "n.fedorova", claim_deadline="2026-06-25", stage="fixing")
    plant.update("deal", d["id"], "n.fedorova", claim_resolution="Створка перевешена, скол окрашен", stage="done")
    plant.run()
    d = plant.get("deal", d["id"])
    assert (d["pipeline"], d["stage"], d["assignee"], d["result"]) == ("sales", "closing", MANAGER, None)
    assert f"Вам передана сделка: {d['title']}" in plant.titles(MANAGER)
    assert "Рекламация выполнена: Створка перевешена, скол окрашен. Сделка вернулась в исходную воронку." in \
        plant.comments("deal", d["id"])

    plant.update("deal", d["id"], MANAGER, result="success")
    plant.run()
    d = plant.get("deal", d["id"])
    assert (d["pipeline"], d["stage"], d["result"]) == ("sales", "won", "success")
    assert plant.failures() == []
