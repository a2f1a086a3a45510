"""PL01 file attachments: the storage interface, and the per-field limits ``max_size`` and ``accept``
enforced by the record service on every path (engine calls and the API upload alike)."""
from __future__ import annotations

import hashlib
import io

import pytest

from stageflow.core.problems import MetadataError
from stageflow.data import RecordValidationError
from stageflow.data.files import FileRefused, FileStore, LocalFileStorage
from stageflow.runtime import create_stageflow
from tests.bundle_edit import EditableBundle

from .support import count_rows

APP = "mini"
LIMITS = {"multiple": True, "max_size": 1000, "accept": [".pdf", "image/*", "text/csv"]}


class MemoryStorage:
    """A second ``FileStorage``: what an object store would be, with no disk at all."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}

    def put(self, key, data):
        self.blobs.setdefault(key, data.read())

    def open(self, key):
        if key not in self.blobs:
            raise FileNotFoundError(key)
        return io.BytesIO(self.blobs[key])

    def exists(self, key):
        return key in self.blobs

    def delete(self, key):
        self.blobs.pop(key, None)


def refused(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(RecordValidationError) as error:
        call(*args, **kwargs)
    return error.value.errors


def with_scans_options(mini_bundle, tmp_path, options) -> EditableBundle:
    bundle = EditableBundle(mini_bundle, tmp_path / "bundle")
    bundle.edit("entities/deal.json", lambda d: next(f for f in d["fields"] if f["name"] == "scans")
                .update(options=options))
    return bundle


@pytest.fixture
def limited(db_url, tmp_path, mini_bundle):
    """The mini app whose deal.scans takes files up to 1000 bytes: PDFs, images and CSV."""
    engine = create_stageflow(db_url, files_dir=tmp_path / "files")
    engine.install(with_scans_options(mini_bundle, tmp_path, LIMITS).root)
    yield engine
    engine.close()


# -- the storage interface ----------------------------------------------------------------------

def test_local_storage_puts_opens_and_deletes_by_content_key(tmp_path):
    storage = LocalFileStorage(tmp_path / "blobs")
    key = hashlib.sha256(b"hello").hexdigest()
    assert not storage.exists(key)
    storage.put(key, io.BytesIO(b"hello"))
    storage.put(key, io.BytesIO(b"ignored: a key's bytes never change"))
    assert storage.exists(key)
    with storage.open(key) as blob:
        assert blob.read() == b"hello"
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [key]
    storage.delete(key)
    storage.delete(key)  # a missing key is not an error
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "ab/" + "0" * 61, "A" * 64, "", "0" * 63])
def test_local_storage_refuses_keys_that_are_not_a_digest(tmp_path, key):
    storage = LocalFileStorage(tmp_path / "blobs")
    with pytest.raises(ValueError, match="is not a file key"):
        storage.put(key, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="is not a file key"):
        storage.exists(key)
    assert not (tmp_path / "blobs").exists()


def test_file_store_works_over_any_storage(sqlite_url, tmp_path, mini_bundle):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "unused")
    sf.install(mini_bundle)
    memory = MemoryStorage()
    store = FileStore(sf.db, memory)
    stored = store.put("..\\report.pdf", "", b"%PDF-1.4 memory", "boss")
    assert (stored.filename, stored.content_type, stored.size) == ("report.pdf", "application/octet-stream", 15)
    assert memory.blobs == {hashlib.sha256(b"%PDF-1.4 memory").hexdigest(): b"%PDF-1.4 memory"}
    assert store.read(stored.id) == (stored, b"%PDF-1.4 memory")
    assert not (tmp_path / "unused").exists()
    sf.close()


def test_the_global_size_limit_still_applies(sqlite_url, tmp_path, monkeypatch):
    from stageflow.data import files as files_module

    monkeypatch.setattr(files_module, "MAX_FILE_SIZE", 10)
    memory = MemoryStorage()
    store = FileStore(None, memory)  # refused before the database is touched
    with pytest.raises(FileRefused, match="big.pdf: larger than"):
        store.put("big.pdf", "application/pdf", b"x" * 11, "boss")
    assert memory.blobs == {}


# -- per-field limits ---------------------------------------------------------------------------

def test_pl01_a_file_larger_than_the_field_takes_is_refused(limited):
    big = limited.files.put("big.pdf", "application/pdf", b"%" * 1001, "boss")
    assert refused(limited.records.create, limited.system, APP, "deal", {"title": "A", "scans": [big.id]}) == {
        "scans": "'big.pdf' is 1001 bytes; this field takes files up to 1000 bytes"}
    assert count_rows(limited, "mini__deal") == 0
    assert count_rows(limited, "sf_outbox") == 0


def test_pl01_a_file_of_a_type_the_field_does_not_accept_is_refused(limited):
    exe = limited.files.put("setup.exe", "application/x-msdownload", b"MZ", "boss")
    fine = limited.files.put("scan.pdf", "application/pdf", b"%PDF", "boss")
    deal = limited.records.create(limited.system, APP, "deal", {"title": "A", "scans": [fine.id]})
    errors = refused(limited.records.update, limited.system, APP, "deal", deal["id"], {"scans": [fine.id, exe.id]})
    assert errors == {"scans": "'setup.exe' (application/x-msdownload) is not one of .pdf, image/*, text/csv"}
    assert limited.records.get(limited.system, APP, "deal", deal["id"])["scans"] == [fine.id]
    assert limited.records.get(limited.system, APP, "deal", deal["id"])["version"] == deal["version"]


def test_pl01_files_within_the_limits_are_taken_by_extension_or_by_type(limited):
    exactly = limited.files.put("SCAN.PDF", "application/octet-stream", b"%" * 1000, "boss")  # extension, any case
    photo = limited.files.put("photo", "image/jpeg", b"\xff\xd8", "boss")  # image/* by type, no extension
    table = limited.files.put("export.txt", "text/csv; charset=utf-8", b"a;b", "boss")  # type with parameters
    deal = limited.records.create(limited.system, APP, "deal", {"title": "A", "scans": [exactly.id, photo.id, table.id]})
    assert limited.records.get(limited.system, APP, "deal", deal["id"])["scans"] == [exactly.id, photo.id, table.id]


def test_a_field_without_limits_takes_any_file(sf):
    exe = sf.files.put("setup.exe", "application/x-msdownload", b"MZ" * 600, "boss")
    assert sf.records.create(sf.system, APP, "deal", {"title": "A", "scans": [exe.id]})["scans"] == [exe.id]


@pytest.mark.parametrize("options, where", [
    ({"max_size": 0}, "/max_size"),
    ({"max_size": "1 MB"}, "/max_size"),
    ({"accept": ["pdf"]}, "/accept/0"),
    ({"accept": [".PDF"]}, "/accept/0"),
    ({"accept": ["image"]}, "/accept/0"),
])
def test_file_limits_are_checked_when_metadata_loads(sqlite_url, tmp_path, mini_bundle, options, where):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    with pytest.raises(MetadataError) as error:
        sf.install(with_scans_options(mini_bundle, tmp_path, options).root)
    assert [p.pointer.rsplit("/options", 1)[1] for p in error.value.problems] == [where]
    sf.close()


# -- through the API ----------------------------------------------------------------------------

def upload(api, path: str, name: str, data: bytes, content_type: str):
    return api.post(path, data={"file": (io.BytesIO(data), name, content_type)}, content_type="multipart/form-data")


def test_pl01_the_api_upload_obeys_the_field_limits_and_stores_nothing_refused(sqlite_url, tmp_path, mini_bundle):
    from tests.web.conftest import make_web

    web = make_web(sqlite_url, tmp_path / "files", with_scans_options(mini_bundle, tmp_path, LIMITS).root)
    deal = web.create("boss", "deal", {"title": "Docs"})
    boss = web.api("boss")
    into_scans = f"/api/v1/mini/deal/{deal['id']}/attachments?field=scans"

    too_big = upload(boss, into_scans, "big.pdf", b"%" * 1001, "application/pdf")
    assert too_big.status_code == 422
    assert too_big.get_json()["errors"] == {"scans": "'big.pdf' is 1001 bytes; this field takes files up to 1000 bytes"}
    wrong = upload(boss, into_scans, "virus.exe", b"MZ", "application/x-msdownload")
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == {
        "scans": "'virus.exe' (application/x-msdownload) is not one of .pdf, image/*, text/csv"}
    assert count_rows(web.sf, "sf_file") == 0

    taken = upload(boss, into_scans, "photo.jpeg", b"\xff\xd8", "image/jpeg")
    assert taken.status_code == 201
    assert taken.get_json()["record"]["scans"] == [taken.get_json()["files"][0]["id"]]

    # A file stored without a field (a comment attachment) cannot be put into the field either.
    loose = upload(boss, f"/api/v1/mini/deal/{deal['id']}/attachments", "notes.docx", b"PK", "application/msword")
    assert loose.status_code == 201
    file_id = loose.get_json()["files"][0]["id"]
    version = web.sf.records.get(web.sf.system, APP, "deal", deal["id"])["version"]
    patched = boss.patch(f"/api/v1/mini/deal/{deal['id']}", json={"scans": [file_id], "version": version})
    assert patched.status_code == 422 and "scans" in patched.get_json()["errors"]
    web.sf.close()
