"""The Flask application's health page and app list (the screens come with their own issue)."""
from __future__ import annotations

from stageflow.runtime import create_stageflow
from stageflow.security.users import set_admin
from stageflow.web import create_app

from tests.bundle_edit import EditableBundle
from tests.web.conftest import PASSWORD, Web


def test_health_reports_the_database_and_installed_revisions(sqlite_url, mini_bundle, tmp_path):
    sf = create_stageflow(sqlite_url, files_dir=tmp_path / "files")
    sf.install(mini_bundle)
    response = create_app(sf).test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "sqlite", "apps": {"mini": 1}}


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
