"""Accounts on a real store per backend, with cheap hashing (the cost is a setting) and a fake
clock; an in-process web client with an admin key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from cityioc.accounts.passwords import HashParameters
from cityioc.accounts.policy import AccountPolicy
from cityioc.accounts.service import Accounts
from cityioc.core.clock import FakeClock
from cityioc.core.settings import Settings
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.store.port import Store
from cityioc.web.app import create_app
from cityioc.web.ngsi_http import principal_of

CHEAP = HashParameters(time_cost=1, memory_kib=1024, parallelism=1)
POLICY = AccountPolicy(
    idle_ms=30 * 60_000,
    max_age_ms=8 * 3_600_000,
    max_failures=3,
    lockout_ms=10 * 60_000,
    attempts_per_minute=1000,
    hashing=CHEAP,
)
ADMIN_KEY = "cio_test_admin-key-for-accounts-tests"
AGENCY = "urn:ngsi-ld:Organization:stnmt"
PASSWORD = "ca-truc-dem-thu-3"  # long enough, not common


@pytest.fixture
def accounts(store: Store, clock: FakeClock) -> Accounts:
    return Accounts(store, clock, POLICY)


async def add_organization(store: Store, clock: FakeClock, eid: str = AGENCY) -> None:
    body = {"id": eid, "type": "Organization", "name": {"type": "Property", "value": "Sở TN&MT"}}
    await Hub(store, clock).create("default", core_context().expand_entity_keys(body), "test")


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "admin_key": ADMIN_KEY,
        "environment": "test",
        "password_hash_memory_kib": 1024,
        "password_hash_time_cost": 1,
        "login_max_failures": 3,
        "login_lockout_minutes": 10,
        "session_idle_minutes": 30,
        "session_max_hours": 8,
        **overrides,
    }
    return Settings(**values)


def app_with_probe(settings: Settings, clock: FakeClock) -> FastAPI:
    """The application, plus a route that shows who the server thinks the caller is."""
    app = create_app(settings, clock=clock)

    @app.api_route("/test/principal", methods=["GET", "POST"])
    async def probe(request: Request) -> dict[str, Any]:
        p = await principal_of(request)
        return {"actor": p.actor, "role": p.role, "agency": p.agency}

    return app


@pytest.fixture
def web(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """No credentials by default: each test says whether it sends a key or signs in."""
    with TestClient(app_with_probe(settings_for(database_url), clock)) as c:
        yield c


def admin(headers: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}", **(headers or {})}
