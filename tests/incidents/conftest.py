"""Fixtures: the Bình Dương pack without its sensor fleet (fast to load), a hub holding it, a
service over that hub with a fake clock, and principals of each role."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.service import Hub
from cityioc.incidents.access import Actor
from cityioc.incidents.service import Incidents
from cityioc.incidents.sop import SopTemplate
from cityioc.packs import Pack, load_pack, validate_pack
from cityioc.packs.validate import builtin_packs
from cityioc.store.factory import make_store

FLEET_FILES = ("sensors.csv", "roads.yaml", "sensor-lines.yaml")
# 1 December 2025, 17:05 in Bình Dương (UTC+7): after the 2025 reorganisation, wards exist.
START = datetime(2025, 12, 1, 10, 5, tzinfo=UTC)
THU_DAU_MOT = (106.655, 10.985)  # near Phường Thủ Dầu Một's centroid

OPERATOR = Actor("key:op", "operator")
ADMIN = Actor("key:admin", "admin")
VIEWER = Actor("key:viewer", "viewer")


def agency(local: str) -> Actor:
    return Actor.of(f"key:{local}", "agency", local)


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The built-in pack's areas, agencies, categories, SOPs and SLA (no sensors)."""
    source = builtin_packs()["binh-duong"]
    target = tmp_path_factory.mktemp("pack") / "binh-duong"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*FLEET_FILES, "__*"))
    return validate_pack(target)


@pytest.fixture
def clock() -> FakeClock:
    fake = FakeClock()
    fake.set(START)
    return fake


@pytest.fixture
async def hub(database_url: str, clock: FakeClock, pack: Pack) -> AsyncIterator[Hub]:
    store = make_store(database_url, clock)
    await store.open()
    try:
        hub = Hub(store, clock)
        await load_pack(hub, pack)
        yield hub
    finally:
        await store.close()


@pytest.fixture
def incidents(hub: Hub) -> Incidents:
    return Incidents(hub, timezone="Asia/Ho_Chi_Minh")


def sops_of(pack: Pack) -> list[SopTemplate]:
    found: list[SopTemplate] = pack.section("sops") or []
    return found
