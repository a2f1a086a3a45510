"""PL01, PL22: the attachment service lists, stores and hands out a record's files by its access rules."""
from __future__ import annotations

import pytest

from stageflow.data import RecordNotFound
from stageflow.data.attachments import AttachmentRefused, FileHidden, NothingUploaded, RecordRef, Upload
from stageflow.security.users import set_admin
from stageflow.storage.database import write_transaction

APP = "mini"


def platform_admin(sf):
    with write_transaction(sf.db) as conn:
        set_admin(conn, "root", "a long password")
    return sf.actor("root")


PDF = Upload("scan 1.pdf", "application/pdf", b"%PDF-1 first")


@pytest.fixture
def deal(sf):
    return sf.records.create(sf.actor("boss"), APP, "deal", {"title": "Docs", "assignee": "boris"})


def test_uploads_into_a_file_field_are_listed_with_where_they_are_held(sf, deal):
    boris = sf.actor("boris")
    stored, record = sf.attachments.upload(boris, APP, "deal", deal["id"], [PDF], field="scans")
    assert record["scans"] == [stored[0].id] and stored[0].size == len(PDF.data)
    loose, none = sf.attachments.upload(boris, APP, "deal", deal["id"], [Upload("../a\x00.txt", "", b"x")])
    assert none is None and loose[0].filename == "a.txt" and loose[0].content_type == "application/octet-stream"
    sf.comments.add(boris, APP, "deal", deal["id"], "see file", files=[loose[0].id])
    listed = sf.attachments.list(sf.actor("anna"), APP, "deal", deal["id"])
    [comment] = sf.comments.list(boris, APP, "deal", deal["id"])
    assert [(info.filename, info.created_by, where) for info, where in listed] == [
        ("scan 1.pdf", "boris", ["scans"]), ("a.txt", "boris", [f"comment:{comment['id']}"])]


def test_who_cannot_see_the_record_gets_not_found_for_its_files(sf, deal):
    boris, carl, anna = sf.actor("boris"), sf.actor("carl"), sf.actor("anna")
    [stored], _ = sf.attachments.upload(boris, APP, "deal", deal["id"], [PDF], field="scans")
    holder = RecordRef(APP, "deal", deal["id"])
    with pytest.raises(RecordNotFound):
        sf.attachments.list(carl, APP, "deal", deal["id"])
    with pytest.raises(RecordNotFound):
        sf.attachments.upload(carl, APP, "deal", deal["id"], [PDF])
    with pytest.raises(RecordNotFound):
        sf.attachments.download(carl, stored.id, holder)
    # A reader of the record may have it when naming the record, the uploader and admins always.
    with pytest.raises(FileHidden):
        sf.attachments.download(anna, stored.id)
    assert sf.attachments.download(anna, stored.id, holder)[1] == PDF.data
    assert sf.attachments.download(boris, stored.id)[1] == PDF.data
    assert sf.attachments.download(platform_admin(sf), stored.id)[0].filename == "scan 1.pdf"
    with pytest.raises(FileHidden):
        sf.attachments.download(anna, 999_999, holder)
    with pytest.raises(RecordNotFound):
        sf.attachments.download(anna, stored.id, RecordRef(APP, "deal", 2**64))


def test_a_file_the_record_does_not_hold_is_hidden_from_its_readers(sf, deal):
    other = sf.records.create(sf.actor("boss"), APP, "deal", {"title": "Other", "assignee": "boris"})
    [stored], _ = sf.attachments.upload(sf.actor("boris"), APP, "deal", other["id"], [PDF], field="scans")
    with pytest.raises(FileHidden):
        sf.attachments.download(sf.actor("anna"), stored.id, RecordRef(APP, "deal", deal["id"]))


def test_refused_uploads_store_nothing(sf, deal):
    boris = sf.actor("boris")
    with pytest.raises(AttachmentRefused) as not_a_file_field:
        sf.attachments.upload(boris, APP, "deal", deal["id"], [PDF], field="title")
    assert not_a_file_field.value.errors == {"field": "not a file field"}
    with pytest.raises(NothingUploaded):
        sf.attachments.upload(boris, APP, "deal", deal["id"], [], field="scans")
    assert sf.attachments.list(boris, APP, "deal", deal["id"]) == []
