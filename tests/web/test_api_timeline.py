"""PL22: comments, attachments, file downloads and notifications through the API."""
from __future__ import annotations

import io

from stageflow.data.timeline import EntryKind, add_comment, notify
from stageflow.storage.database import write_transaction

DEALS = "/api/v1/mini/deal/"


def upload(api, path: str, name: str, data: bytes, content_type: str = "application/pdf"):
    return api.post(path, data={"file": (io.BytesIO(data), name, content_type)}, content_type="multipart/form-data")


def test_pl22_comments_with_robot_entries_hidden_on_request(web):
    deal = web.create("boss", "deal", {"title": "Talk", "assignee": "boris"})
    boris = web.api("boris")
    posted = boris.post(f"{DEALS}{deal['id']}/comments", json={"body": "<b>Called</b> the client"})
    assert posted.status_code == 201
    assert posted.get_json()["author"] == "boris" and posted.get_json()["body"] == "<b>Called</b> the client"
    with write_transaction(web.sf.db) as conn:
        add_comment(conn, "mini", "deal", deal["id"], "Reminder sent", author=None, kind=EntryKind.ROBOT,
                    now=web.sf.clock())
    everything = boris.get(f"{DEALS}{deal['id']}/comments").get_json()["items"]
    assert [c["kind"] for c in everything] == ["comment", "robot"]
    people = boris.get(f"{DEALS}{deal['id']}/comments", query_string={"robots": "0"}).get_json()["items"]
    assert [c["body"] for c in people] == ["<b>Called</b> the client"]
    empty = boris.post(f"{DEALS}{deal['id']}/comments", json={"body": "   "})
    assert empty.status_code == 422 and "body" in empty.get_json()["errors"]
    assert boris.post(f"{DEALS}{deal['id']}/comments", json={"text": "x"}).status_code == 422


def test_pl22_attachments_into_a_file_field_and_guarded_downloads(web):
    deal = web.create("boss", "deal", {"title": "Docs", "assignee": "boris"})
    boris = web.api("boris")
    stored = upload(boris, f"{DEALS}{deal['id']}/attachments?field=scans", "scan 1.pdf", b"%PDF-1 first")
    assert stored.status_code == 201, stored.get_json()
    first = stored.get_json()["files"][0]
    assert stored.get_json()["record"]["scans"] == [first["id"]] and first["size"] == 12
    second = upload(boris, f"{DEALS}{deal['id']}/attachments?field=scans", "scan2.pdf", b"%PDF-1 second")
    assert second.get_json()["record"]["scans"] == [first["id"], second.get_json()["files"][0]["id"]]

    listed = boris.get(f"{DEALS}{deal['id']}/attachments").get_json()["items"]
    assert [f["filename"] for f in listed] == ["scan 1.pdf", "scan2.pdf"] and listed[0]["in"] == ["scans"]

    # anna may read the deal (her department's), so she may download a file it holds...
    anna = web.api("anna")
    where = {"app": "mini", "entity": "deal", "record": deal["id"]}
    download = anna.get(f"/api/v1/files/{first['id']}", query_string=where)
    assert download.status_code == 200 and download.data == b"%PDF-1 first"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # ...but not without naming the record, and carl (another department) not at all.
    assert anna.get(f"/api/v1/files/{first['id']}").status_code == 404
    assert web.api("carl").get(f"/api/v1/files/{first['id']}", query_string=where).status_code == 404
    assert boris.get(f"/api/v1/files/{first['id']}").status_code == 200  # the uploader
    assert anna.get("/api/v1/files/999999").status_code == 404


def test_pl22_uploads_are_refused_cleanly_and_active_content_is_not_served_as_a_page(web):
    deal = web.create("boss", "deal", {"title": "Docs", "assignee": "boris"})
    boris = web.api("boris")
    assert boris.post(f"{DEALS}{deal['id']}/attachments", data={}, content_type="multipart/form-data").status_code == 400
    bad_field = upload(boris, f"{DEALS}{deal['id']}/attachments?field=title", "a.pdf", b"x")
    assert bad_field.status_code == 422 and bad_field.get_json()["errors"] == {"field": "not a file field"}
    page = upload(boris, f"{DEALS}{deal['id']}/attachments", "x.html", b"<script>alert(1)</script>", "text/html")
    file_id = page.get_json()["files"][0]["id"]
    served = boris.get(f"/api/v1/files/{file_id}")
    assert served.status_code == 200 and served.mimetype == "application/octet-stream"
    assert "sandbox" in served.headers["Content-Security-Policy"]

    # A comment may carry files its author uploaded, and then readers of the record may fetch them.
    comment = boris.post(f"{DEALS}{deal['id']}/comments", json={"body": "see file", "files": [file_id]})
    assert comment.status_code == 201 and comment.get_json()["files"] == [file_id]
    where = {"app": "mini", "entity": "deal", "record": deal["id"]}
    assert web.api("anna").get(f"/api/v1/files/{file_id}", query_string=where).status_code == 200
    foreign = web.api("anna").post(f"{DEALS}{deal['id']}/comments", json={"body": "mine?", "files": [file_id]})
    assert foreign.status_code == 422 and "files" in foreign.get_json()["errors"]


def test_pl22_notifications_inbox_and_mark_read(web):
    with write_transaction(web.sf.db) as conn:
        first = notify(conn, "boris", "Deal assigned", app="mini", entity="deal", record_id=1, now=web.sf.clock())
        notify(conn, "boris", "Deal assigned", app="mini", entity="deal", record_id=1, now=web.sf.clock())
        other = notify(conn, "anna", "Report ready", now=web.sf.clock())
    boris = web.api("boris")
    items = boris.get("/api/v1/notifications").get_json()["items"]
    assert [(n["title"], n["count"], n["read"]) for n in items] == [("Deal assigned", 2, False)]
    assert boris.post(f"/api/v1/notifications/{other}/read").status_code == 404  # anna's
    assert boris.post(f"/api/v1/notifications/{first}/read").status_code == 204
    assert boris.get("/api/v1/notifications", query_string={"unread": "1"}).get_json()["items"] == []
    assert boris.post(f"/api/v1/notifications/{first}/read").status_code == 404
    assert web.api().get("/api/v1/notifications").status_code == 401


def test_pl22_a_file_field_takes_only_the_extensions_it_accepts(sqlite_url, tmp_path, mini_bundle):
    from tests.bundle_edit import EditableBundle
    from tests.web.conftest import make_web

    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("entities/deal.json", lambda d: next(f for f in d["fields"] if f["name"] == "scans")
                ["options"].update(accept=[".pdf"]))
    web = make_web(sqlite_url, tmp_path / "files", bundle.root)
    deal = web.create("boss", "deal", {"title": "Docs"})
    boss = web.api("boss")
    refused = upload(boss, f"{DEALS}{deal['id']}/attachments?field=scans", "virus.exe", b"MZ")
    assert refused.status_code == 422 and "scans" in refused.get_json()["errors"]
    assert upload(boss, f"{DEALS}{deal['id']}/attachments?field=scans", "ok.PDF", b"%PDF").status_code == 201
    web.sf.close()
