"""The Flask application's app list and request-size limit (``/health``: test_health.py)."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from stageflow.data.files import MAX_FILE_SIZE
from stageflow.runtime import create_stageflow
from stageflow.security.users import set_admin
from stageflow.storage import platform_tables as st
from stageflow.web import create_app
from tests.bundle_edit import EditableBundle
from tests.web.conftest import PASSWORD, Web


def test_a_request_body_over_the_limit_is_refused_with_413_as_json(sqlite_web):
    """The limit leaves room for one file of the storage's maximum size and no more."""
    limit = sqlite_web.app.config["MAX_CONTENT_LENGTH"]
    assert MAX_FILE_SIZE < limit <= MAX_FILE_SIZE + 4 * 1024 * 1024
    record = sqlite_web.create("boss", "client", {"full_name": "A"})
    # The declared length decides: Werkzeug refuses before reading, so no 100 MB body is needed.
    response = sqlite_web.api("boss").post(
        f"/api/v1/mini/client/{record['id']}/attachments", data={"file": (io.BytesIO(b"x" * 10), "a.txt")},
        content_type="multipart/form-data", environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413
    assert response.is_json and "message" in response.get_json()
    with sqlite_web.sf.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(st.files)).scalar() == 0


def test_index_lists_apps_loaded_while_serving_and_escapes_labels(sqlite_url, mini_bundle, tmp_path):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    with sf.db.begin() as conn:
        set_admin(conn, "root", PASSWORD)
    client = Web(sf, create_app(sf)).browser("root")
    assert "0 app(s) installed" in client.get("/").get_data(as_text=True)
    bundle = EditableBundle(mini_bundle, tmp_path / "b")
    bundle.edit("entities/client.json", lambda d: d.update(label="<script>alert(1)</script>"))
    # FAB's navbar passes labels through Jinja's gettext, which marks them safe and %-formats them.
    bundle.edit("app.json", lambda d: d.update(label="100% <b>mini</b> %(x)s"))
    # Installed by another process: the running server sees it on the next request.
    other = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    other.install(bundle.root)
    other.records.create(other.system, "mini", "client", {"full_name": "A"})
    page = client.get("/").get_data(as_text=True)
    assert "1 app(s) installed" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "<td>1</td>" in page
    assert "<b>mini" not in page and "%%" not in page
    assert page.count("100% &lt;b&gt;mini&lt;/b&gt; %(x)s") == 2  # navbar and heading
