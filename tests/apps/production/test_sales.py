"""Sales deals: created by hand or from e-mail, stage robots, automatic moves, notifications and
documents (PR01-PR06)."""
from __future__ import annotations

import pytest

from stageflow.data.stages import StageMoveRefused

MANAGER = "d.orlov"  # sales manager, corporate sales
HEAD = "i.volkova"  # head of sales


def client(plant, name="ООО «Ромашка»", **values):
    return plant.create("client", MANAGER, name=name, **values)


def deal(plant, by=MANAGER, **values):
    values.setdefault("title", "Ворота откатные — ООО «Ромашка»")
    values.setdefault("assignee", by)
    return plant.create("deal", by, **values)


def tasks_of(plant, deal_id, **equal):
    return plant.find("task", deal=deal_id, **equal)


def to_contract(plant, d):
    """The manager walks a deal to the contract stage, as the gates ask."""
    plant.move("deal", d["id"], MANAGER, "qualification")
    plant.move("deal", d["id"], MANAGER, "estimate")
    plant.update("deal", d["id"], MANAGER, amount="450000", estimate_file=[plant.upload("smeta.pdf", MANAGER)])
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "contract"


SCHEDULE = [{"number": 1, "due_date": "2026-06-25", "amount": "300000.00", "note": "Предоплата"},
            {"number": 2, "due_date": "2026-07-20", "amount": "150000.00", "note": "Окончательный расчёт"}]


def fill_contract(plant, d):
    plant.update("deal", d["id"], MANAGER, contract_number="Д-26-101", contract_date="2026-06-15",
                 contract_file=[plant.upload("dogovor.pdf", MANAGER)], payments_count=2,
                 prepayment_percent="66.67", payment_schedule=SCHEDULE)
    plant.run()


# -- PR01 ------------------------------------------------------------------------------------------

def test_pr01_deals_live_in_sales_and_claims_and_production_runs_in_a_linked_smart_process(plant):
    c = client(plant)
    d = deal(plant, client=c["id"])
    assert (d["pipeline"], d["stage"]) == ("sales", "new")
    claim = deal(plant, by=HEAD, assignee="s.pavlov", title="Рекламация: ворота не закрываются", client=c["id"],
                 pipeline="claims", claim_description="Створка задевает столб", defect_kinds=["geometry"])
    assert (claim["pipeline"], claim["stage"]) == ("claims", "claim_received")

    to_contract(plant, d)
    fill_contract(plant, d)
    plant.update("deal", d["id"], MANAGER, production_deadline="2026-07-10")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "production"
    [item] = plant.find("production_item", deal=d["id"])
    assert (item["pipeline"], item["stage"], item["sales_manager"]) == ("production", "queued", MANAGER)
    # The production manager works the item without seeing the deal's money.
    assert plant.get("production_item", item["id"], by="v.kozlov")["deal"] == d["id"]


# -- PR02 ------------------------------------------------------------------------------------------

def test_pr02_an_incoming_email_creates_a_deal_for_the_clients_manager(plant):
    known = client(plant, email="zakaz@romashka.ru", manager="e.sokolova", department="sales_corporate")
    outcome = plant.webhook("deal_from_email", {"from": "zakaz@romashka.ru", "subject": "Заявка на откатные ворота",
                                                "text": "Нужны ворота 4 м с автоматикой, адрес: Сысерть."})
    assert outcome == "fired"
    plant.run()
    [d] = plant.find("deal", source="email")
    assert d["title"] == "Заявка на откатные ворота"
    assert (d["client"], d["assignee"], d["department"]) == (known["id"], "e.sokolova", "sales_corporate")
    assert d["source_email"] == "zakaz@romashka.ru" and "Сысерть" in d["source_message"]
    assert (d["pipeline"], d["stage"]) == ("sales", "new")
    [note] = [n for n in plant.inbox("e.sokolova") if n["record_id"] == d["id"]]
    assert note["title"] == "Новая сделка: Заявка на откатные ворота" and "Сысерть" in note["body"]
    assert ("e.sokolova@zavod-demo.ru", "Новая сделка: Заявка на откатные ворота") in \
        [(m[0], m[1]) for m in plant.sent("email")]


def test_pr02_an_email_from_an_unknown_sender_goes_to_the_head_of_sales_and_deals_by_hand_stay_manual(plant):
    plant.webhook("deal_from_email", {"from": "ivanov@mail.ru", "subject": "", "text": "Сколько стоит навес?"})
    plant.run()
    [d] = plant.find("deal", source="email")
    assert (d["title"], d["client"], d["assignee"]) == ("Письмо от ivanov@mail.ru", None, HEAD)
    assert "Новая сделка: Письмо от ivanov@mail.ru" in plant.titles(HEAD)

    by_hand = deal(plant)
    plant.run()
    assert by_hand["source"] == "manual"
    assert plant.titles(MANAGER) == []  # nobody is told about their own deal
    assert plant.webhook("deal_from_email", {"subject": "no sender"}) == "skipped"


def test_pr02_an_incoming_email_creates_a_deal_on_postgresql(pg_url, tmp_path, clock):
    from .support import Plant, install

    plant = Plant(install(pg_url, tmp_path / "files", clock, seed=False), clock)
    try:
        assert plant.webhook("deal_from_email", {"from": "ivanov@mail.ru", "subject": "Навес"}) == "fired"
        plant.run()
        assert [d["title"] for d in plant.find("deal", source="email")] == ["Навес"]
    finally:
        plant.sf.close()


# -- PR03 ------------------------------------------------------------------------------------------

def test_pr03_each_sales_stage_starts_its_chain_of_tasks_approvals_and_requests(plant):
    d = deal(plant, client=client(plant)["id"], installation_address="Сысерть, ул. Мира, 86")
    plant.move("deal", d["id"], MANAGER, "qualification")
    plant.run()
    [call] = tasks_of(plant, d["id"])
    assert (call["task_subtype"], call["assignee"], call["stage"]) == ("call_first", MANAGER, "new")

    plant.move("deal", d["id"], MANAGER, "estimate")
    plant.run()
    [measure] = tasks_of(plant, d["id"], task_subtype="meas_site")
    assert measure["department"] == "installation" and measure["assignee"] == "d.frolov"  # round robin
    assert "Сысерть" in measure["description"]
    # The measurer finishes: the chain gives the manager the estimate, behind the measurement.
    plant.move("task", measure["id"], "d.frolov", "in_progress")
    plant.move("task", measure["id"], "d.frolov", "done")
    plant.run()
    [estimate] = tasks_of(plant, d["id"], task_type="estimate")
    assert (estimate["assignee"], estimate["blocked_by"], estimate["stage"]) == (MANAGER, measure["id"], "new")

    plant.update("deal", d["id"], MANAGER, amount="450000", estimate_file=[plant.upload("smeta.pdf", MANAGER)])
    plant.run()
    contract = tasks_of(plant, d["id"], task_subtype="doc_contract")[0]
    [request] = tasks_of(plant, d["id"], task_type="info_request")
    assert request["task_subtype"] == "info_payments" and "график" in request["title"]
    # The contract drafted, the head of sales is asked to approve it; her decision closes the approval.
    plant.move("task", contract["id"], MANAGER, "in_progress")
    plant.move("task", contract["id"], MANAGER, "done")
    plant.run()
    [approval] = tasks_of(plant, d["id"], task_type="approval")
    assert (approval["assignee"], approval["blocked_by"], approval["manager"]) == (HEAD, contract["id"], MANAGER)
    plant.update("task", approval["id"], HEAD, decision="approved", result_comment="Цена согласована")
    plant.run()
    approval = plant.get("task", approval["id"])
    assert approval["stage"] == "done" and approval["completed_at"] == "2026-06-15T06:00:00Z"
    assert any(n["title"].startswith("Согласовано: Согласуйте договор") and "Цена согласована" in n["body"]
               for n in plant.inbox(MANAGER))

    fill_contract(plant, d)
    [production_request] = tasks_of(plant, d["id"], task_subtype="info_production")
    assert production_request["assignee"] == MANAGER
    assert plant.failures() == []


# -- PR04 ------------------------------------------------------------------------------------------

def test_pr04_the_deal_moves_by_itself_when_the_requested_information_is_filled_in(plant):
    d = deal(plant, client=client(plant)["id"])
    to_contract(plant, d)  # amount + estimate file: estimate -> contract
    fill_contract(plant, d)  # contract number, date, scan, payment plan: contract -> prepayment
    assert plant.get("deal", d["id"])["stage"] == "prepayment"
    plant.update("deal", d["id"], MANAGER, production_deadline="2026-07-10")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "production"
    # "Production done" alone is not enough: installation needs the address and the date.
    plant.update("deal", d["id"], MANAGER, production_done=True)
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "production"
    plant.update("deal", d["id"], MANAGER, installation_address="Сысерть, ул. Мира, 86", installation_date="2026-07-15")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "installation"
    plant.move("deal", d["id"], MANAGER, "closing")
    plant.update("deal", d["id"], MANAGER, acceptance_act_file=[plant.upload("akt.pdf", MANAGER)], result="success")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "won"
    assert plant.history("deal", d["id"], "stage") == [
        "qualification", "estimate", "contract", "prepayment", "production", "installation", "closing", "won"]
    for name in ("deal_auto_contract", "deal_auto_prepayment", "deal_auto_production", "deal_auto_installation",
                 "deal_auto_won"):
        assert plant.outcomes(name, d["id"]).count("fired") == 1, name
    assert plant.failures() == []


def test_pr04_the_deal_moves_on_when_its_stage_tasks_are_done(plant):
    d = deal(plant, client=client(plant)["id"])
    plant.move("deal", d["id"], MANAGER, "qualification")
    plant.run()
    [call] = tasks_of(plant, d["id"])
    plant.move("task", call["id"], MANAGER, "in_progress")
    plant.move("task", call["id"], MANAGER, "done")
    plant.run()
    assert plant.get("deal", d["id"])["stage"] == "estimate"


# -- PR05 ------------------------------------------------------------------------------------------

def test_pr05_people_are_notified_of_their_tasks_approvals_and_requests(any_plant):
    plant = any_plant
    job = plant.create("task", "v.kozlov", title="Раскрой листа 3 мм", task_type="cutting", assignee="g.sergeev")
    plant.run()
    [note] = plant.inbox("g.sergeev")
    assert (note["title"], note["entity"], note["record_id"]) == ("Новая задача: Раскрой листа 3 мм", "task", job["id"])
    plant.update("task", job["id"], "v.kozlov", assignee="f.belov")
    plant.run()
    assert plant.titles("f.belov") == ["Новая задача: Раскрой листа 3 мм"]
    assert plant.titles("v.kozlov") == []  # the one who acts is not told about their own action

    d = deal(plant, client=client(plant)["id"])
    to_contract(plant, d)
    assert "Новая задача: Заполните график платежей: " + d["title"] in plant.titles(MANAGER)  # a request
    contract = tasks_of(plant, d["id"], task_subtype="doc_contract")[0]
    plant.move("task", contract["id"], MANAGER, "in_progress")
    plant.move("task", contract["id"], MANAGER, "done")
    plant.run()
    assert plant.titles(HEAD) == ["Новая задача: Согласуйте договор: Подготовить договор: " + d["title"]]  # an approval
    emails = {(m["recipient"], m["subject"]) for m in plant.messages("email")}
    assert ("g.sergeev@zavod-demo.ru", "Новая задача: Раскрой листа 3 мм") in emails
    assert ("i.volkova@zavod-demo.ru", plant.titles(HEAD)[0]) in emails
    assert all(m["status"] == "sent" for m in plant.messages("email"))


# -- PR06 ------------------------------------------------------------------------------------------

def test_pr06_stages_require_documents_which_land_on_the_deal_and_in_its_folder(plant):
    d = deal(plant, client=client(plant)["id"], amount="450000")
    plant.move("deal", d["id"], MANAGER, "qualification")
    plant.move("deal", d["id"], MANAGER, "estimate")
    with pytest.raises(StageMoveRefused, match="fill in Estimate"):
        plant.move("deal", d["id"], MANAGER, "contract")
    assert plant.get("deal", d["id"])["folder_path"] is None

    estimate = plant.upload("smeta.pdf", MANAGER)
    plant.update("deal", d["id"], MANAGER, estimate_file=[estimate])
    plant.run()
    d = plant.get("deal", d["id"])
    assert d["estimate_file"] == [estimate] and d["stage"] == "contract"
    assert d["folder_path"] == f"/Сделки/{d['id']} Ворота откатные — ООО «Ромашка»"
    assert d["folder_url"] == f"https://disk.zavod-demo.ru/deals/{d['id']}"
    [folder] = plant.webhook_bodies("/api/folders")
    assert (folder["action"], folder["path"], folder["deal"]) == ("create_folder", d["folder_path"], str(d["id"]))
    [upload] = plant.webhook_bodies("/api/upload")
    assert upload["path"] == d["folder_path"] and upload["files"] == f"estimate_file={estimate};"
    assert f"Создана папка на общем диске: {d['folder_path']}" in plant.comments("deal", d["id"])

    with pytest.raises(StageMoveRefused, match="fill in Signed contract"):
        plant.update("deal", d["id"], MANAGER, stage="prepayment", contract_number="Д-1", contract_date="2026-06-15",
                     payments_count=1)
    photos = [plant.upload("zamer1.jpg", MANAGER, b"jpg1"), plant.upload("zamer2.jpg", MANAGER, b"jpg2")]
    plant.update("deal", d["id"], MANAGER, documents=photos)
    plant.run()
    assert len(plant.webhook_bodies("/api/folders")) == 1  # one folder per deal
    latest = plant.webhook_bodies("/api/upload")[-1]
    assert latest["files"] == f"estimate_file={estimate};documents={photos[0]},{photos[1]};"
    assert [r for r in plant.sent("webhook") if r[0].endswith("/api/upload")]  # handed to the drive


def test_pr01_the_demo_data_loads_without_firing_rules_and_its_deals_carry_on(seeded_plant):
    plant = seeded_plant
    assert len(plant.find("deal")) == 60 and plant.runs() == [] and plant.messages() == []
    assert all(plant.inbox(user) == [] for user in (MANAGER, HEAD, "e.mikhailova", "v.kozlov"))
    # A seeded deal that already has its invoices does not get them twice when it moves back and forth.
    d = next(x for x in plant.find("deal", stage="prepayment") if x["payments_count"] == 2)
    assert len(plant.find("invoice", deal=d["id"])) == d["invoices_created"] == 2
    files = {"estimate_file": [plant.upload("smeta.pdf", d["assignee"])],  # seeds carry no files
             "contract_file": [plant.upload("dogovor.pdf", d["assignee"])]}
    plant.update("deal", d["id"], d["assignee"], stage="contract", **files)
    plant.move("deal", d["id"], d["assignee"], "prepayment")
    plant.run()
    assert len(plant.find("invoice", deal=d["id"])) == 2
    # Nor does a seeded order that is already being worked on restart its chain of tasks.
    order = plant.find("order", stage="on_hold")[0]
    before = len(plant.find("task", order=order["id"]))
    plant.move("order", order["id"], order["manager"], "in_work")
    plant.run()
    assert len(plant.find("task", order=order["id"])) == before
    assert plant.failures() == []
