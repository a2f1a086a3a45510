"""Payment schedules, invoices, payments and resource bookings (PR07, PR08, PR21)."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest

from stageflow.data.record_values import RecordValidationError
from stageflow.data.stages import StageMoveRefused

from .support import BUNDLE, Plant

MANAGER, ACCOUNTANT, PRODUCTION = "d.orlov", "e.mikhailova", "v.kozlov"
SCHEDULE = [{"number": 1, "due_date": "2026-06-25", "amount": "200000.00", "note": "Предоплата"},
            {"number": 2, "due_date": "2026-07-10", "amount": "150000.00", "note": "Промежуточный платёж"},
            {"number": 3, "due_date": "2026-07-20", "amount": "100000.00", "note": "Окончательный расчёт"}]


def deal_in_contract(plant, schedule=SCHEDULE):
    c = plant.create("client", MANAGER, name="ООО «Ромашка»")
    return plant.create("deal", MANAGER, title="Лестница — ООО «Ромашка»", assignee=MANAGER, client=c["id"],
                        stage="contract", amount="450000", estimate_file=[plant.upload("smeta.pdf", MANAGER)],
                        payments_count=len(schedule), payment_schedule=schedule)


def sign(plant, d):
    """The manager files the signed contract: the deal moves to prepayment (PR04) and invoices follow."""
    plant.update("deal", d["id"], MANAGER, contract_number=f"Д-26-{d['id']:03d}", contract_date="2026-06-15",
                 contract_file=[plant.upload("dogovor.pdf", MANAGER)])
    plant.run()


# -- PR08 ------------------------------------------------------------------------------------------

def test_pr08_the_payment_schedule_creates_invoices_with_tasks_to_send_and_control_each(any_plant):
    plant = any_plant
    d = deal_in_contract(plant)
    sign(plant, d)
    assert plant.get("deal", d["id"])["stage"] == "prepayment"
    invoices = plant.find("invoice", deal=d["id"], sort="payment_number")
    assert [(i["number"], i["payment_number"], i["due_date"], i["amount"]) for i in invoices] == [
        (f"СЧ-{d['id']}-1", 1, "2026-06-25", "200000.00"), (f"СЧ-{d['id']}-2", 2, "2026-07-10", "150000.00"),
        (f"СЧ-{d['id']}-3", 3, "2026-07-20", "100000.00")]
    assert {(i["client"], i["manager"], i["issue_date"], i["status"]) for i in invoices} == \
        {(d["client"], MANAGER, "2026-06-15", "draft")}
    assert invoices[1]["notes"] == "Платёж 2 из 3 по графику: Промежуточный платёж"
    assert plant.get("deal", d["id"])["invoices_created"] == 3

    for invoice in invoices:
        tasks = plant.find("task", invoice=invoice["id"], sort="task_type")
        assert [(t["task_type"], t["assignee"], t["deal"]) for t in tasks] == [
            ("invoice_send", MANAGER, d["id"]), ("payment_control", ACCOUNTANT, d["id"])]
        assert tasks[1]["deadline"] == f"{invoice['due_date']}T15:00:00Z"  # 18:00 Moscow time
    assert plant.titles(ACCOUNTANT).count(f"Новая задача: Контроль оплаты счёта {invoices[0]['number']} до 2026-06-25") == 1

    # Going back to the contract and forward again makes no second set of invoices.
    plant.move("deal", d["id"], MANAGER, "contract")
    plant.move("deal", d["id"], MANAGER, "prepayment")
    plant.run()
    assert len(plant.find("invoice", deal=d["id"])) == 3
    assert plant.failures() == []


def test_pr08_invoices_follow_the_schedule_rows_in_order_and_a_missing_row_is_made_when_it_is_added(plant):
    d = deal_in_contract(plant, SCHEDULE[:1])
    plant.update("deal", d["id"], MANAGER, payments_count=2)  # two payments announced, one row written
    sign(plant, d)
    assert [i["payment_number"] for i in plant.find("invoice", deal=d["id"])] == [1]
    failed = plant.failures()  # logged on the card: the second row is missing
    assert failed and {(f["rule"], f["reason"]) for f in failed} == {
        ("deal_schedule_invoice_2", "create_record: UndefinedError: list object has no element 1")}
    plant.update("deal", d["id"], MANAGER, payment_schedule=SCHEDULE[:2])
    plant.run()
    invoices = plant.find("invoice", deal=d["id"], sort="payment_number")
    assert [(i["payment_number"], i["amount"]) for i in invoices] == [(1, "200000.00"), (2, "150000.00")]
    assert plant.get("deal", d["id"])["invoices_created"] == 2


def test_pr08_an_unpaid_invoice_becomes_overdue_the_morning_after_its_due_date(plant):
    d = deal_in_contract(plant)
    sign(plant, d)
    first, second, _ = plant.find("invoice", deal=d["id"], sort="payment_number")
    plant.update("invoice", second["id"], ACCOUNTANT, paid_amount="150000.00")  # paid at the bank counter
    plant.run()
    assert plant.get("invoice", second["id"])["status"] == "paid"

    plant.later(days=10)  # 2026-06-25 09:00 Moscow time: the first invoice is due today, not yet overdue
    assert plant.get("invoice", first["id"])["status"] == "draft"
    plant.later(days=1, hours=6)  # 2026-06-26 15:00 Moscow time, past the 09:00 check
    assert plant.get("invoice", first["id"])["status"] == "overdue"
    assert f"Просрочен счёт {first['number']}" in plant.titles(MANAGER)
    assert f"Просрочен счёт {first['number']}" in plant.titles(ACCOUNTANT)
    plant.later(days=30)
    assert plant.get("invoice", second["id"])["status"] == "paid"  # a paid invoice never becomes overdue
    assert plant.titles(MANAGER).count(f"Просрочен счёт {second['number']}") == 0


@pytest.mark.xfail(strict=True, raises=StageMoveRefused, reason=(
    "engine bug: RecordService.update (data/records.py) passes the stage gates a record without its child "
    "tables, so required_fields naming a child_table (the payment schedule) refuses every move by update even "
    "when rows exist; the sales pipeline therefore does not list payment_schedule for prepayment"))
def test_pr08_prepayment_can_require_the_schedule_rows(tmp_path, clock):

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    pipeline = json.loads((bundle / "pipelines/sales.json").read_text(encoding="utf-8"))
    next(s for s in pipeline["stages"] if s["name"] == "prepayment")["required_fields"].append("payment_schedule")
    (bundle / "pipelines/sales.json").write_text(json.dumps(pipeline, ensure_ascii=False), encoding="utf-8")
    from stageflow.runtime import create_stageflow

    sf = create_stageflow(f"sqlite:///{tmp_path}/x.db", files_dir=tmp_path / "files", clock=clock)
    sf.install(bundle)
    plant = Plant(sf, clock)
    try:
        d = deal_in_contract(plant)
        assert plant.get("deal", d["id"])["payment_schedule"]  # the rows are there
        sign(plant, d)
        assert "fill in Payment schedule" in plant.runs("deal_auto_prepayment")[-1]["reason"]
        plant.move("deal", d["id"], MANAGER, "prepayment")
    finally:
        sf.close()


# -- PR21 ------------------------------------------------------------------------------------------

def test_pr21_several_payments_per_invoice_deal_and_order_are_tracked(plant):
    d = deal_in_contract(plant, SCHEDULE[:2])
    order = plant.create("order", MANAGER, number="З-26-101", title="Лестница маршевая", deal=d["id"],
                         client=d["client"], order_type="stairs", manager=MANAGER)
    sign(plant, d)
    first, second = plant.find("invoice", deal=d["id"], sort="payment_number")
    plant.update("invoice", first["id"], ACCOUNTANT, order=order["id"])

    bank = [{"invoice": first["number"], "amount": 120000, "date": "2026-06-18", "reference": "п/п 311"},
            {"invoice": first["number"], "amount": "80000.00", "date": "2026-06-22", "reference": "п/п 342"},
            {"invoice": second["number"], "amount": 150000, "reference": "п/п 401"}]
    assert plant.webhook("payment_from_bank", bank[0]) == "fired"
    plant.run()
    first = plant.get("invoice", first["id"])
    assert (first["paid_amount"], first["paid"], first["status"]) == ("120000.00", None, "draft")  # a part
    for payload in bank[1:]:
        assert plant.webhook("payment_from_bank", payload) == "fired"
    plant.run()
    first, second = plant.get("invoice", first["id"]), plant.get("invoice", second["id"])
    assert (first["paid_amount"], first["paid"], first["status"], first["paid_date"]) == \
        ("200000.00", True, "paid", "2026-06-15")
    assert (second["paid_amount"], second["status"]) == ("150000.00", "paid")
    assert f"Счёт {first['number']} оплачен" in plant.titles(MANAGER)

    payments = plant.find("payment", by=ACCOUNTANT, deal=d["id"])
    assert [(p["invoice"], p["amount"], p["payment_date"], p["reference"]) for p in payments] == [
        (first["id"], "120000.00", "2026-06-18", "п/п 311"), (first["id"], "80000.00", "2026-06-22", "п/п 342"),
        (second["id"], "150000.00", "2026-06-15", "п/п 401")]
    assert {(p["client"], p["method"]) for p in payments} == {(d["client"], "bank_transfer")}
    assert [p["amount"] for p in plant.find("payment", order=order["id"])] == ["120000.00", "80000.00"]
    assert sum(Decimal(p["amount"]) for p in payments) == Decimal("350000")
    # A payment for an invoice the plant does not know is not booked anywhere.
    assert plant.webhook("payment_from_bank", {"invoice": "СЧ-404", "amount": 1}) == "skipped"
    assert len(plant.find("payment")) == 3


@pytest.mark.xfail(strict=True, reason=(
    "engine gap: deal.paid_amount and order.paid_amount should be the sum of their payments, but a rule on "
    "payment or invoice cannot update the linked deal or order (no action writes a linked record) and no "
    "field kind sums linked records; payments an accountant enters by hand likewise cannot raise the "
    "invoice's paid_amount"))
def test_pr21_deal_and_order_paid_amounts_follow_their_payments(plant):
    d = deal_in_contract(plant, SCHEDULE[:1])
    sign(plant, d)
    [invoice] = plant.find("invoice", deal=d["id"])
    plant.webhook("payment_from_bank", {"invoice": invoice["number"], "amount": 50000})
    plant.create("payment", ACCOUNTANT, deal=d["id"], invoice=invoice["id"], payment_date="2026-06-16", amount="25000")
    plant.run()
    assert plant.get("deal", d["id"])["paid_amount"] == "75000.00"
    assert plant.get("invoice", invoice["id"])["paid_amount"] == "75000.00"


# -- PR07 ------------------------------------------------------------------------------------------

def test_pr07_crews_and_vehicles_are_booked_for_time_slots_without_double_booking(any_plant):
    plant = any_plant
    crew = plant.create("resource", PRODUCTION, name="Бригада Фролова", kind="crew", leader="d.frolov")
    truck = plant.create("resource", PRODUCTION, name="ГАЗель А123ВС", kind="vehicle", plate_number="А123ВС96")

    def book(resource, start, end, by=MANAGER, **values):
        return plant.create("resource_booking", by, title="Монтаж навеса", resource=resource["id"],
                            starts_at=f"2026-06-20T{start}:00+05:00", ends_at=f"2026-06-20T{end}:00+05:00", **values)

    first = book(crew, "09:00", "13:00", responsible="d.frolov")
    book(truck, "09:00", "13:00")  # another resource, the same slot
    book(crew, "13:00", "17:00")  # back to back is not an overlap
    with pytest.raises(RecordValidationError) as refused:
        book(crew, "12:00", "14:00", by=PRODUCTION)
    assert refused.value.errors == {"starts_at": "Ресурс уже забронирован на пересекающееся время"}
    with pytest.raises(RecordValidationError):  # moving a booking onto another one is refused too
        plant.update("resource_booking", first["id"], PRODUCTION, ends_at="2026-06-20T14:00:00+05:00")
    assert len(plant.find("resource_booking", resource=crew["id"])) == 2
    plant.run()
    assert plant.titles("d.frolov") == ["Бронь: Монтаж навеса"]


def test_pr07_a_cancelled_booking_frees_its_slot(plant):
    crew = plant.create("resource", PRODUCTION, name="Бригада Фролова", kind="crew")
    slot = {"title": "Монтаж", "resource": crew["id"], "starts_at": "2026-06-20T09:00:00+05:00",
            "ends_at": "2026-06-20T13:00:00+05:00"}
    booking = plant.create("resource_booking", PRODUCTION, **slot)
    plant.update("resource_booking", booking["id"], PRODUCTION, status="cancelled")
    plant.create("resource_booking", PRODUCTION, **slot)
