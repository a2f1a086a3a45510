"""The Stageflow Flask extension: one connection scope per request, closed on errors too, and the
caller resolved once per request for screens and the API alike."""
from __future__ import annotations

from contextlib import contextmanager

from stageflow.web.api.auth import current_actor
from stageflow.web.extension import current_actor_or_none, stageflow_engine


def _watch_request_scopes(sf) -> list[BaseException | None]:
    """Wrap the engine's request scope; each closed scope appends the exception it saw (or None)."""
    seen: list[BaseException | None] = []
    real = sf.request_scope

    @contextmanager
    def watched():
        with real():
            try:
                yield
            except BaseException as exc:
                seen.append(exc)
                raise
            seen.append(None)

    sf.request_scope = watched
    return seen


def test_a_request_whose_view_raises_still_returns_its_connection_to_the_pool(web):
    checked_out: list[int] = []

    def broken():
        stageflow_engine().actor("anna")  # a read on the request's shared connection
        checked_out.append(web.sf.db.pool.checkedout())
        raise RuntimeError("boom")

    web.app.add_url_rule("/test-broken", "test_broken", broken)
    seen = _watch_request_scopes(web.sf)
    client = web.app.test_client()
    assert client.get("/health").status_code == 200
    assert seen == [None] and web.sf.db.pool.checkedout() == 0
    response = client.get("/test-broken")
    assert response.status_code == 500
    assert checked_out and checked_out[0] >= 1
    # The scope was closed with the view's exception, and its connection went back to the pool.
    assert len(seen) == 2 and isinstance(seen[1], RuntimeError) and str(seen[1]) == "boom"
    assert web.sf.db.pool.checkedout() == 0


def _count_actor_loads(sf) -> list[str]:
    loads: list[str] = []
    real = sf.actor

    def counting(username):
        loads.append(username)
        return real(username)

    sf.actor = counting
    return loads


def test_the_actor_is_resolved_once_per_request_for_screens_and_api(sqlite_web):
    browser, api = sqlite_web.browser("boris"), sqlite_web.api("anna")
    loads = _count_actor_loads(sqlite_web.sf)
    # A screen asks for the actor in its context, the navbar menu and the inbox badge.
    assert browser.get("/mini/deal/").status_code == 200
    assert loads == ["boris"]
    loads.clear()
    assert api.get("/api/v1/mini/deal/").status_code == 200
    assert loads == ["anna"]
    loads.clear()
    # A session call of the API is the same caller, under the same cache.
    assert browser.get("/api/v1/notifications").status_code == 200
    assert loads == ["boris"]
    loads.clear()
    # One request asking both ways (screen and API) loads the actor once.
    headers = {"Authorization": f"Bearer {sqlite_web.token('anna')}"}
    with sqlite_web.app.test_request_context("/api/v1/notifications", headers=headers):
        assert current_actor() is current_actor_or_none() is current_actor()
        assert current_actor().username == "anna"
    assert loads == ["anna"]


def test_a_bearer_token_wins_over_the_session_and_a_bad_one_logs_nobody_in(sqlite_web):
    browser = sqlite_web.browser("boris")
    token = sqlite_web.token("anna")
    assert browser.get("/api/v1/notifications").status_code == 200
    bad = browser.get("/api/v1/notifications", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and "not valid" in bad.get_json()["message"]
    with sqlite_web.app.test_request_context("/mini/deal/", headers={"Authorization": f"Bearer {token}"}):
        assert current_actor_or_none().username == "anna"
    with sqlite_web.app.test_request_context("/mini/deal/", headers={"Authorization": "Basic x"}):
        assert current_actor_or_none() is None
    # A screen asked with an invalid token sends the browser to the login page, as without a session.
    assert browser.get("/mini/deal/", headers={"Authorization": "Bearer nonsense"}).status_code == 302
