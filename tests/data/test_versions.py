"""PL21 on SQLite and PostgreSQL: every publish is a version with its author, time and message;
any two versions compare field by field; a rollback installs an earlier version as the newest,
records added since stay, the field the old version lacks is retired with its data, and its
data is back when a later version has the field again. A rollback from a stale view, or by
someone who may not configure the app, changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from stageflow.data.drafts import DraftConflict
from stageflow.data.versions import UnknownVersion
from stageflow.metadata.version_diff import DocumentChange, ItemChange
from stageflow.security import AccessDenied
from stageflow.storage import platform_tables as st

from .test_drafts import APP, snapshot, with_field

CLIENT = "entities/client.json"
VIP = {"name": "vip", "kind": "boolean", "label": "VIP"}


def publish_with_vip(sf, message: str = "Clients get a VIP flag") -> int:
    actor = sf.actor("boss")
    client = sf.drafts.open(actor, APP).documents[CLIENT]
    sf.drafts.put_document(actor, APP, CLIENT, with_field(client, VIP))
    return sf.drafts.publish(actor, APP, sf.catalog.get(APP).revision, message=message).revision


def test_pl21_each_publish_is_a_version_with_author_time_and_message(sf, clock):
    clock.advance(hours=2)
    publish_with_vip(sf)
    versions = sf.versions.versions(sf.actor("boss"), APP)
    assert [(v.revision, v.created_by, v.message, v.current) for v in versions] == [
        (2, "boss", "Clients get a VIP flag", True), (1, None, None, False)]
    assert versions[0].created_at == clock() and versions[1].created_at < clock()


def test_pl21_two_versions_compare_field_by_field(sf):
    publish_with_vip(sf)
    diff = sf.versions.diff(sf.actor("boss"), APP, 1, 2)
    assert diff.documents == [DocumentChange(CLIENT, "changed", [
        ItemChange(("fields", "vip"), "added", after='{"name": "vip", "kind": "boolean", "label": "VIP"}')])]
    backwards = sf.versions.diff(sf.actor("boss"), APP, 2, 1)
    assert backwards.documents[0].items[0].change == "removed"
    with pytest.raises(UnknownVersion):
        sf.versions.diff(sf.actor("boss"), APP, 1, 9)


def test_pl21_rollback_keeps_records_retires_the_field_and_re_adding_it_brings_the_data_back(sf):
    boss = sf.actor("boss")
    publish_with_vip(sf)
    kept = sf.records.create(sf.system, APP, "client", {"full_name": "Ivan Petrov", "vip": True})

    result = sf.versions.rollback(boss, APP, 1, base_revision=2)
    assert result.revision == 3
    assert [f.name for f in sf.catalog.get(APP).spec.entities["client"].fields if f.name == "vip"] == []
    assert result.sync.retired_columns == ["mini__client.vip"]
    newest = sf.versions.versions(boss, APP)[0]
    assert (newest.revision, newest.message, newest.created_by) == (3, "Rolled back to revision 1", "boss")
    # Records added since stay; the field is gone from them, its data kept aside.
    record = sf.records.get(sf.system, APP, "client", kept["id"])
    assert record["full_name"] == "Ivan Petrov" and "vip" not in record
    added_later = sf.records.create(sf.system, APP, "client", {"full_name": "Anna Sidorova"})

    # Rolling forward to revision 2 brings the field, and Ivan's value, back.
    sf.versions.rollback(boss, APP, 2, base_revision=3, message="VIP flag back")
    assert sf.records.get(sf.system, APP, "client", kept["id"])["vip"] is True
    assert sf.records.get(sf.system, APP, "client", added_later["id"])["vip"] in (None, False)
    assert sf.versions.versions(boss, APP)[0].message == "VIP flag back"


def test_pl21_a_rollback_from_a_stale_view_or_by_a_non_admin_changes_nothing(sf):
    publish_with_vip(sf)
    before = snapshot(sf)
    with pytest.raises(DraftConflict):
        sf.versions.rollback(sf.actor("boss"), APP, 1, base_revision=1)
    with pytest.raises(AccessDenied):
        sf.versions.rollback(sf.actor("anna"), APP, 1, base_revision=2)
    with pytest.raises(AccessDenied):
        sf.versions.versions(sf.actor("anna"), APP)
    with pytest.raises(UnknownVersion):
        sf.versions.rollback(sf.actor("boss"), APP, 7, base_revision=2)
    assert snapshot(sf) == before


def test_pl21_rolling_back_to_the_version_in_place_adds_no_version(sf):
    publish_with_vip(sf)
    result = sf.versions.rollback(sf.actor("boss"), APP, 2, base_revision=2)
    assert result.unchanged and result.revision == 2
    with sf.db.connect() as conn:
        assert conn.execute(select(st.app_revisions.c.revision).where(st.app_revisions.c.app == APP)).scalars().all() == [1, 2]
