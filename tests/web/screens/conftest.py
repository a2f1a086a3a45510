"""Screen fixtures: checks that every screen test file makes the same way."""
from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def assert_needs_login(sqlite_web) -> Callable[..., None]:
    """``assert_needs_login(*paths)``: each path sends an anonymous visitor to the login page."""

    def check(*paths: str) -> None:
        anonymous = sqlite_web.browser()
        for path in paths:
            response = anonymous.get(path)
            assert response.status_code == 302, path
            assert "/login/" in response.headers["Location"], path

    return check
