"""Drafts of app metadata (PL24, the builder's engine side): edits collect in a draft that never
touches the installed app; preview reports what publishing would change and leaves the database
as it was; publish installs only from the installed revision, so of two drafts made from the
same revision the second is refused and changes nothing."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, select

from stageflow.core.problems import MetadataError
from stageflow.data.catalog import UnknownApp
from stageflow.data.drafts import AppExists, DraftConflict, RetiredField
from stageflow.data.installer import RevisionConflict
from stageflow.metadata import Bundle
from stageflow.metadata.editing import EditRefused, bundle_with_documents, documents_of
from stageflow.runtime import create_stageflow
from stageflow.security import AccessDenied, Actor
from stageflow.storage import platform_tables as st

APP = "mini"
PROJECT = {"schema_version": 1, "name": "project", "label": "Project",
           "fields": [{"name": "title", "kind": "string", "label": "Title"}]}


def snapshot(sf) -> tuple:
    """Every table, the app's columns, the stored revisions, the installed apps and retirements."""
    with sf.db.connect() as conn:
        inspector = inspect(conn)
        tables = sorted(inspector.get_table_names())
        columns = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in tables if t.startswith("mini__")}
        revisions = conn.execute(select(st.app_revisions).order_by(st.app_revisions.c.app,
                                                                   st.app_revisions.c.revision)).all()
        apps = conn.execute(select(st.apps).order_by(st.apps.c.name)).all()
        retired = conn.execute(select(st.retired_columns).order_by(st.retired_columns.c.entity_table,
                                                                   st.retired_columns.c.column)).all()
    return tables, columns, revisions, apps, retired


def with_field(doc: dict, field: dict) -> dict:
    return {**doc, "fields": [*doc["fields"], field]}


def without_field(doc: dict, name: str) -> dict:
    return {**doc, "fields": [f for f in doc["fields"] if f["name"] != name]}


def test_pl24_a_draft_edit_leaves_the_installed_app_untouched(sf):
    before = snapshot(sf)
    draft = sf.drafts.open(sf.system, APP)
    assert draft.base_revision == 1
    assert draft.documents == documents_of(sf.catalog.get(APP).bundle)

    client = with_field(draft.documents["entities/client.json"], {"name": "vip", "kind": "boolean", "label": "VIP"})
    changed = sf.drafts.put_document(sf.system, APP, "entities/client.json", client)
    sf.drafts.put_document(sf.system, APP, "entities/project.json", PROJECT)

    assert changed.documents["entities/client.json"]["fields"][-1]["name"] == "vip"
    assert snapshot(sf) == before
    assert sf.catalog.get(APP).revision == 1
    assert not sf.catalog.get(APP).spec.entity("client").has_field("vip")
    reopened = sf.drafts.open(sf.system, APP)
    assert (reopened.base_revision, "entities/project.json" in reopened.documents) == (1, True)
    assert reopened.updated_by == "system"

    sf.drafts.remove_document(sf.system, APP, "entities/project.json")
    assert "entities/project.json" not in sf.drafts.open(sf.system, APP).documents
    sf.drafts.discard(sf.system, APP)
    assert sf.drafts.open(sf.system, APP).documents == documents_of(sf.catalog.get(APP).bundle)
    assert snapshot(sf) == before


def test_pl24_an_edit_that_cannot_be_a_bundle_is_refused_naming_where(sf):
    with pytest.raises(EditRefused, match="notes.txt"):
        sf.drafts.put_document(sf.system, APP, "notes.txt", {})
    with pytest.raises(EditRefused, match="app.json"):
        sf.drafts.remove_document(sf.system, APP, "app.json")
    with pytest.raises(EditRefused, match="entities/nothing.json"):
        sf.drafts.remove_document(sf.system, APP, "entities/nothing.json")
    assert sf.drafts.open(sf.system, APP).documents == documents_of(sf.catalog.get(APP).bundle)


def test_pl24_preview_lists_new_tables_columns_and_retired_fields_with_row_counts_and_changes_nothing(sf):
    sf.records.create(sf.system, APP, "deal", {"title": "A", "notes": "keep me"})
    sf.records.create(sf.system, APP, "deal", {"title": "B", "notes": "and me"})
    sf.records.create(sf.system, APP, "deal", {"title": "C"})
    docs = sf.drafts.open(sf.system, APP).documents
    docs["entities/client.json"] = with_field(docs["entities/client.json"], {"name": "vip", "kind": "boolean"})
    docs["entities/deal.json"] = without_field(docs["entities/deal.json"], "notes")
    docs["entities/project.json"] = PROJECT
    sf.drafts.put_documents(sf.system, APP, docs)
    before = snapshot(sf)

    preview = sf.drafts.preview(sf.system, APP)

    assert (preview.problems, preview.refused, preview.base_revision) == ([], None, 1)
    assert preview.created_tables == ["mini__project"]
    assert preview.added_columns == ["mini__client.vip"]
    assert preview.retired == [RetiredField("mini__deal", "notes", 2)]
    assert preview.documents_added == ["entities/project.json"]
    assert preview.documents_changed == ["entities/client.json", "entities/deal.json"]
    assert preview.documents_removed == []
    assert snapshot(sf) == before
    assert sf.catalog.get(APP).revision == 1


def test_pl24_publish_applies_the_draft_and_the_catalog_serves_the_new_revision(sf, db_url, tmp_path, clock):
    running = create_stageflow(db_url, files_dir=tmp_path / "other", clock=clock)  # another process
    try:
        draft = sf.drafts.open(sf.system, APP)
        client = with_field(draft.documents["entities/client.json"], {"name": "vip", "kind": "boolean"})
        sf.drafts.put_document(sf.system, APP, "entities/client.json", client)

        result = sf.drafts.publish(sf.system, APP, draft.base_revision)

        assert (result.revision, result.unchanged, result.sync.added_columns) == (2, False, ["mini__client.vip"])
        assert sf.catalog.get(APP).revision == 2
        assert sf.drafts.open(sf.system, APP).base_revision == 2  # the published draft is gone
        running.catalog.refresh()
        assert running.catalog.get(APP).spec.entity("client").has_field("vip")
        made = running.records.create(running.system, APP, "client", {"full_name": "Ann", "vip": True})
        assert made["vip"] is True
    finally:
        running.close()


def test_pl24_two_drafts_from_one_revision_the_second_publish_is_refused_and_changes_nothing(
        sf, db_url, tmp_path, clock):
    other = create_stageflow(db_url, files_dir=tmp_path / "other", clock=clock)  # a second admin's server
    try:
        first = sf.drafts.open(sf.system, APP)
        second = other.drafts.open(other.system, APP)
        assert first.base_revision == second.base_revision == 1
        vip = with_field(first.documents["entities/client.json"], {"name": "vip", "kind": "boolean"})
        sf.drafts.put_document(sf.system, APP, "entities/client.json", vip)
        sf.drafts.publish(sf.system, APP, 1)
        after_first = snapshot(sf)

        stale = with_field(second.documents["entities/client.json"], {"name": "inn", "kind": "string"})
        with pytest.raises(DraftConflict, match="it is at revision 2, the draft was made from 1"):
            other.drafts.put_document(other.system, APP, "entities/client.json", stale, base_revision=1)
        with pytest.raises(DraftConflict, match="changed since you opened the draft"):
            other.drafts.publish(other.system, APP, 1)
        assert snapshot(sf) == after_first
        other.catalog.refresh()
        assert not other.catalog.get(APP).spec.entity("client").has_field("inn")
    finally:
        other.close()


def test_pl24_a_stale_draft_is_refused_at_publish_and_kept(sf):
    draft = sf.drafts.open(sf.system, APP)
    inn = with_field(draft.documents["entities/client.json"], {"name": "inn", "kind": "string"})
    sf.drafts.put_document(sf.system, APP, "entities/client.json", inn)
    # Meanwhile the app is changed another way (the metadata API, `stageflow load`).
    changed = documents_of(sf.catalog.get(APP).bundle)
    changed["app.json"] = {**changed["app.json"], "version": "1.1.0"}
    sf.install(bundle_with_documents(sf.catalog.get(APP).bundle, APP, changed))
    before = snapshot(sf)

    with pytest.raises(DraftConflict) as refused:
        sf.drafts.publish(sf.system, APP, 1)

    assert str(refused.value) == ("app 'mini' changed since you opened the draft: it is at revision 2, "
                                  "the draft was made from 1")
    assert snapshot(sf) == before
    kept = sf.drafts.open(sf.system, APP)
    assert (kept.base_revision, kept.documents["entities/client.json"]) == (1, inn)  # nothing lost


def test_pl24_racing_installs_from_one_revision_only_one_passes(sf):
    """The base revision is checked inside the installer's write transaction."""
    base = sf.catalog.get(APP).bundle
    bundles = []
    for name in ("vip", "inn"):
        docs = documents_of(base)
        docs["entities/client.json"] = with_field(docs["entities/client.json"], {"name": name, "kind": "string"})
        bundles.append(bundle_with_documents(base, APP, docs))
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def install(bundle) -> None:
        start.wait()
        try:
            outcomes.append(sf.installer.install(bundle, expected_revision=1).revision)
        except RevisionConflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=install, args=(b,)) for b in bundles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(o for o in outcomes if isinstance(o, int)) == [2]
    conflicts = [o for o in outcomes if isinstance(o, RevisionConflict)]
    assert [(c.current, c.expected) for c in conflicts] == [(2, 1)]
    assert [r.revision for r in snapshot(sf)[2]] == [1, 2]


def test_pl24_an_invalid_draft_is_refused_with_the_pointers_and_changes_nothing(sf):
    draft = sf.drafts.open(sf.system, APP)
    deal = with_field(draft.documents["entities/deal.json"],
                      {"name": "region", "kind": "select", "options": {"handbook": "nowhere"}})
    client = with_field(draft.documents["entities/client.json"],
                        {"name": "partner", "kind": "link", "options": {"entity": "nowhere"}})
    sf.drafts.put_document(sf.system, APP, "entities/deal.json", deal)
    sf.drafts.put_document(sf.system, APP, "entities/client.json", client)
    before = snapshot(sf)

    problems = sf.drafts.validate(sf.system, APP)
    where = {(p.path, p.pointer) for p in problems}
    assert where == {("entities/client.json", "/fields/4/options/entity"),
                     ("entities/deal.json", "/fields/21/options/handbook")}
    assert sf.drafts.preview(sf.system, APP).problems == problems
    with pytest.raises(MetadataError) as refused:
        sf.drafts.publish(sf.system, APP, 1)

    assert {(p.path, p.pointer) for p in refused.value.problems} == where
    assert snapshot(sf) == before
    assert sf.drafts.open(sf.system, APP).documents["entities/deal.json"] == deal


def test_pl24_only_platform_and_app_admins_may_use_drafts(sf):
    seller = sf.actor("boris")
    for attempt in (lambda: sf.drafts.open(seller, APP), lambda: sf.drafts.validate(seller, APP),
                    lambda: sf.drafts.preview(seller, APP), lambda: sf.drafts.publish(seller, APP, 1),
                    lambda: sf.drafts.discard(seller, APP),
                    lambda: sf.drafts.put_document(seller, APP, "entities/project.json", PROJECT)):
        with pytest.raises(AccessDenied):
            attempt()

    app_admin = sf.actor("boss")  # holds the app's "admin": true role
    assert sf.drafts.open(app_admin, APP).base_revision == 1
    sf.drafts.put_document(app_admin, APP, "entities/project.json", PROJECT)
    assert sf.drafts.open(app_admin, APP).updated_by == "boss"
    assert sf.drafts.publish(app_admin, APP, 1).revision == 2

    platform_admin = Actor(username="root", is_admin=True)
    assert sf.drafts.open(platform_admin, APP).base_revision == 2
    sf.drafts.discard(platform_admin, APP)


def test_pl24_check_reports_an_unsaved_document_and_stores_nothing(sf):
    client = with_field(sf.drafts.open(sf.system, APP).documents["entities/client.json"],
                        {"name": "weird", "kind": "hologram", "label": "W"})
    problems = sf.drafts.check(sf.system, APP, "entities/client.json", client)
    assert [(p.path, p.code.value) for p in problems] == [("entities/client.json", "unknown_kind")]
    assert problems[0].pointer == f"/fields/{len(client['fields']) - 1}/kind"
    assert sf.drafts.validate(sf.system, APP) == []
    assert "weird" not in str(sf.drafts.open(sf.system, APP).documents["entities/client.json"])
    with pytest.raises(AccessDenied):
        sf.drafts.check(sf.actor("boris"), APP, "entities/client.json", client)


def test_pl24_a_new_app_is_a_draft_until_its_first_publish(sf):
    manifest = {"schema_version": 1, "name": "desk", "label": "Desk", "version": "1.0.0"}
    with pytest.raises(AccessDenied):
        sf.drafts.create(sf.actor("boss"), manifest)  # an app's admin role is not a platform admin
    with pytest.raises(AppExists, match="installed already"):
        sf.drafts.create(sf.system, {**manifest, "name": APP})
    with pytest.raises(EditRefused, match="name"):
        sf.drafts.create(sf.system, {**manifest, "name": None})
    before = snapshot(sf)

    draft = sf.drafts.create(sf.system, manifest)
    assert (draft.app, draft.base_revision, list(draft.documents)) == ("desk", 0, ["app.json"])
    with pytest.raises(AppExists, match="draft already"):
        sf.drafts.create(sf.system, manifest)
    assert sf.drafts.drafted_apps(sf.system) == {"desk": 0}
    assert sf.drafts.drafted_apps(sf.actor("boss")) == {}
    with pytest.raises(AccessDenied):
        sf.drafts.open(sf.actor("boss"), "desk")
    with pytest.raises(UnknownApp):
        sf.drafts.open(sf.system, "nowhere")

    sf.drafts.put_document(sf.system, "desk", "entities/ticket.json", PROJECT | {"name": "ticket"})
    preview = sf.drafts.preview(sf.system, "desk")
    assert (preview.created_tables, preview.documents_added) == (["desk__ticket"], ["app.json", "entities/ticket.json"])
    assert snapshot(sf) == before
    assert sf.drafts.publish(sf.system, "desk", 0).revision == 1
    assert sf.catalog.get("desk").spec.entity("ticket").has_field("title")
    assert sf.drafts.drafted_apps(sf.system) == {}


def test_pl24_a_new_app_published_twice_from_nothing_is_installed_once(sf):
    manifest = {"schema_version": 1, "name": "desk", "label": "Desk", "version": "1.0.0"}
    sf.drafts.create(sf.system, manifest)
    sf.drafts.put_document(sf.system, "desk", "entities/ticket.json", PROJECT | {"name": "ticket"})
    # Another admin installs an app of the same name first.
    empty = Bundle(root="<desk>", documents=[], assets={})
    sf.install(bundle_with_documents(empty, "desk", {"app.json": manifest,
                                                     "entities/ticket.json": PROJECT | {"name": "ticket"}}))
    with pytest.raises(DraftConflict, match="changed since you opened"):
        sf.drafts.publish(sf.system, "desk", 0)
    assert sf.catalog.get("desk").revision == 1
