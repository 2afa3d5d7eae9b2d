"""An in-process client of the whole application, per backend, with an admin key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cityioc.core.settings import Settings
from cityioc.web.app import create_app

ADMIN_KEY = "cio_test_admin-key-for-tests-only"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_key=ADMIN_KEY, environment="test")
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c
