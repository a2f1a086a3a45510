"""PL21: the difference of two versions of an app's configuration reads as people think of it:
documents added, removed and changed; inside, fields, stages and items matched by name, each
change named by a path of names with short values before and after."""
from __future__ import annotations

from stageflow.metadata.version_diff import (
    SHOWN_CHARACTERS,
    DocumentChange,
    ItemChange,
    diff_assets,
    diff_values,
    diff_versions,
)

DEAL = {"schema_version": 1, "name": "deal", "label": {"en": "Deal"},
        "fields": [{"name": "title", "kind": "string", "label": "Title"},
                   {"name": "amount", "kind": "money", "label": "Amount"},
                   {"name": "due", "kind": "date", "label": "Due"}]}


def test_pl21_documents_added_removed_and_changed_in_path_order():
    old = {"app.json": {"name": "a"}, "entities/deal.json": DEAL, "roles/old.json": {"name": "old"}}
    new = {"app.json": {"name": "a"}, "entities/deal.json": {**DEAL, "label": {"en": "Deals"}},
           "pipelines/sales.json": {"name": "sales"}}
    assert diff_versions(old, new) == [
        DocumentChange("entities/deal.json", "changed",
                       [ItemChange(("label", "en"), "changed", before='"Deal"', after='"Deals"')]),
        DocumentChange("pipelines/sales.json", "added"),
        DocumentChange("roles/old.json", "removed"),
    ]


def test_pl21_a_field_inserted_in_the_middle_is_one_addition_not_a_cascade():
    fields = DEAL["fields"]
    inserted = [fields[0], {"name": "price", "kind": "money", "label": "Price"}, *fields[1:]]
    assert diff_values(DEAL, {**DEAL, "fields": inserted}) == [
        ItemChange(("fields", "price"), "added", after='{"name": "price", "kind": "money", "label": "Price"}')]


def test_pl21_a_changed_option_of_a_field_names_the_field_and_the_option():
    changed = [dict(f) for f in DEAL["fields"]]
    changed[1]["required"] = True
    changed[2]["label"] = "Due date"
    assert diff_values(DEAL, {**DEAL, "fields": changed}) == [
        ItemChange(("fields", "amount", "required"), "added", after="true"),
        ItemChange(("fields", "due", "label"), "changed", before='"Due"', after='"Due date"'),
    ]


def test_pl21_removed_items_and_a_new_order_are_said_once_each():
    stages = [{"name": n} for n in ("new", "work", "won", "lost")]
    reordered = [{"name": n} for n in ("new", "won", "work")]
    assert diff_values({"stages": stages}, {"stages": reordered}) == [
        ItemChange(("stages", "lost"), "removed", before='{"name": "lost"}'),
        ItemChange(("stages",), "order changed", before="new, work, won", after="new, won, work"),
    ]


def test_pl21_lists_without_names_and_plain_values_compare_whole():
    assert diff_values({"columns": ["a", "b"]}, {"columns": ["b", "a"]}) == [
        ItemChange(("columns",), "changed", before='["a", "b"]', after='["b", "a"]')]
    # Items that share a name cannot be matched by it: the list compares whole.
    twice = [{"name": "x", "v": 1}, {"name": "x", "v": 2}]
    assert diff_values({"l": twice}, {"l": twice[:1]})[0].where == ("l",)
    # Choices match by value, users by username.
    old = {"choices": [{"value": "a", "label": "A"}], "users": [{"username": "ann", "roles": []}]}
    new = {"choices": [{"value": "a", "label": "AA"}], "users": [{"username": "ann", "roles": ["agent"]}]}
    assert [c.where for c in diff_values(old, new)] == [("choices", "a", "label"), ("users", "ann", "roles")]


def test_pl21_enormous_values_are_shown_as_a_short_prefix():
    change = diff_values({"text": "a"}, {"text": "b" * 10_000})[0]
    assert len(change.after) == SHOWN_CHARACTERS and change.after.endswith("…")


def test_pl21_template_files_beside_the_documents_are_compared_by_content():
    old = {"templates/contract.docx": b"v1", "templates/act.docx": b"same", "templates/old.docx": b"x"}
    new = {"templates/contract.docx": b"v2", "templates/act.docx": b"same", "templates/new.docx": b"y"}
    assert diff_assets(old, new) == [DocumentChange("templates/contract.docx", "changed"),
                                     DocumentChange("templates/new.docx", "added"),
                                     DocumentChange("templates/old.docx", "removed")]
