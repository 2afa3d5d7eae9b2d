"""Loading a pack through the hub: attributed, idempotent, and gentle with live state."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.service import Hub
from cityioc.packs import Pack, builtin_packs, load_pack, validate_pack
from cityioc.packs import registry as reg
from cityioc.packs.entities import Desired
from cityioc.packs.load import LOADED, NOT_LOADED
from cityioc.packs.registry import LoadContext, Section
from cityioc.packs.writer import SyncCounts
from cityioc.store.factory import make_store
from tests.packs.minimal import write_pack

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
LAMP = "urn:ngsi-ld:Streetlight:mptv-den-0001"
STATION = "urn:ngsi-ld:AirQualityObserved:aq-vsip1"


@pytest.fixture
async def hub(database_url: str, clock: FakeClock) -> AsyncIterator[Hub]:
    store = make_store(database_url, clock)
    await store.open()
    try:
        yield Hub(store, clock)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def binh_duong() -> Pack:
    return validate_pack("binh-duong")


def attr(entity: StoredEntity, name: str) -> dict[str, Any]:
    found = entity.doc[name]
    assert isinstance(found, dict)
    return found


def watch(hub: Hub) -> list[Mutation]:
    seen: list[Mutation] = []
    hub.on_change(lambda _tenant, _actor, mutation: seen.append(mutation))
    return seen


def expected_entities(pack: Pack) -> int:
    fleet = pack.fleet
    return (
        len(pack.areas) + len(pack.agencies) + len(pack.categories)
        + len(fleet.roads) + len(fleet.groups) + len(fleet.sensors)
    )  # fmt: skip


async def test_loading_twice_writes_nothing_the_second_time(
    hub: Hub, clock: FakeClock, binh_duong: Pack
) -> None:
    first = await load_pack(hub, binh_duong, "pack:binh-duong")
    core = ("areas", "agencies", "categories", "sensors")  # modules' sections add their own
    assert sum(first.sections[n].counts.created for n in core) == expected_entities(binh_duong)
    assert first.sections["areas"].counts.created == 47
    stats = await hub.store.stats()
    lamp = await hub.get("default", LAMP)
    clock.advance(minutes=10)
    changes = watch(hub)

    second = await load_pack(hub, binh_duong, "pack:binh-duong")

    assert second.totals == SyncCounts(unchanged=first.totals.created)
    assert changes == []  # no write at all: no history, no live-stream event
    after = await hub.store.stats()
    assert (after.entities, after.series, after.samples) == (
        stats.entities,
        stats.series,
        stats.samples,
    )
    again = await hub.get("default", LAMP)
    assert again.modified_at == lamp.modified_at
    assert again.created_by == again.modified_by == "pack:binh-duong"


async def test_live_state_survives_a_reload(hub: Hub, clock: FakeClock, binh_duong: Pack) -> None:
    await load_pack(hub, binh_duong)
    clock.advance(minutes=1)
    await hub.merge("default", LAMP, {f"{DEFAULT}status": "defectiveLamp"} | _status(), "sim")
    await hub.ingest_readings(
        "default", [{"entity": STATION, "attribute": "pm25", "value": 88.0}], "sim"
    )

    report = await load_pack(hub, binh_duong)

    assert report.totals.created == report.totals.updated == 0
    lamp = await hub.get("default", LAMP)
    assert attr(lamp, "https://uri.etsi.org/ngsi-ld/status")["value"] == "defectiveLamp"
    station = await hub.get("default", STATION)
    assert attr(station, f"{DEFAULT}pm25")["value"] == 88.0
    assert attr(station, f"{DEFAULT}name")["value"] == "Trạm quan trắc không khí KCN VSIP I"


def _status() -> dict[str, Any]:
    # status is a core term: the stored name is the core IRI, as the web layer would expand it
    return {"https://uri.etsi.org/ngsi-ld/status": {"type": "Property", "value": "defectiveLamp"}}


async def test_a_changed_pack_updates_only_what_changed(
    hub: Hub, clock: FakeClock, tmp_path: Path, binh_duong: Pack
) -> None:
    await load_pack(hub, binh_duong)
    copy = shutil.copytree(
        builtin_packs()["binh-duong"], tmp_path / "bd", ignore=shutil.ignore_patterns("__*")
    )
    sensors = copy / "sensors.csv"
    sensors.write_text(
        sensors.read_text(encoding="utf-8").replace(
            "không khí KCN VSIP I,", "không khí KCN VSIP 1,"
        ),
        "utf-8",
    )
    clock.advance(minutes=1)
    changes = watch(hub)

    report = await load_pack(hub, validate_pack(copy))

    assert report.sections["sensors"].counts.updated == 1
    assert report.totals.updated == 1 and report.totals.created == 0
    summary = report.summary()  # the line the demo logs
    assert summary.startswith(f"binh-duong {report.version}: 0 created, 1 updated,")
    counted = report.sections["sensors"].counts
    assert f"sensors {counted.updated + counted.unchanged}" in summary
    [mutation] = changes
    assert [e.id for e in mutation.upserts] == [STATION]
    assert [(s.attr, s.value) for s in mutation.samples] == [
        (f"{DEFAULT}name", "Trạm quan trắc không khí KCN VSIP 1")
    ]


async def test_entities_carry_names_hierarchy_and_responsibilities(
    hub: Hub, binh_duong: Pack
) -> None:
    await load_pack(hub, binh_duong)
    ward = await hub.get("default", "urn:ngsi-ld:AdministrativeArea:25966")
    assert attr(ward, f"{DEFAULT}name")["value"] == "Phường Lái Thiêu"
    assert attr(ward, f"{DEFAULT}alternateName")["value"] == "Lái Thiêu Ward"
    assert attr(ward, f"{DEFAULT}validFrom")["value"] == "2025-07-01"
    assert attr(ward, f"{DEFAULT}refParent")["object"] == "urn:ngsi-ld:AdministrativeArea:79"
    assert attr(ward, f"{DEFAULT}locationKind")["value"] == "centroid"
    assert attr(ward, f"{DEFAULT}locationApproximate")["value"] is True
    district = await hub.get("default", "urn:ngsi-ld:AdministrativeArea:725")
    assert attr(district, f"{DEFAULT}validTo")["value"] == "2025-07-01"
    committee = await hub.get("default", "urn:ngsi-ld:Organization:ubnd-25966")
    assert attr(committee, f"{DEFAULT}refResponsibleArea")["object"] == (
        "urn:ngsi-ld:AdministrativeArea:25966"
    )
    assert "ngap-nuoc" in attr(committee, f"{DEFAULT}responsibleCategories")["value"]
    category = await hub.get("default", "urn:ngsi-ld:ReportCategory:ngap-nuoc")
    assert attr(category, f"{DEFAULT}capCategory")["value"] == "Met"
    assert attr(category, f"{DEFAULT}refDefaultAgency")["object"] == "urn:ngsi-ld:Organization:sxd"
    segment = await hub.get("default", "urn:ngsi-ld:StreetlightGroup:mptv-chieu-sang-01")
    assert attr(segment, f"{DEFAULT}memberCount")["value"] == 25
    assert attr(segment, "https://uri.etsi.org/ngsi-ld/location")["value"]["type"] == "LineString"


async def test_reserved_sections_wait_for_their_module_and_plugins_load_theirs(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_pack(tmp_path / "p", projects_yaml="- id: flood-alert\n  threshold: 0.2\n")
    report = await load_pack(hub, validate_pack(root), tenant="t1")
    assert report.sections["projects"].status == NOT_LOADED
    assert report.sections["sensors"].status == LOADED

    async def load_projects(ctx: LoadContext, items: list[dict[str, Any]]) -> SyncCounts:
        bodies = [
            Desired({"id": f"urn:ngsi-ld:Project:{i['id']}", "type": "Project"}, "projects.yaml:1")
            for i in items
        ]
        return await ctx.writer.sync(bodies)

    reg.sections()  # the core and the placeholders are registered first, as in production
    monkeypatch.setattr(reg, "_SECTIONS", dict(reg._SECTIONS))  # undone after the test
    projects = Section(
        "projects",
        ("projects.yaml",),
        lambda ctx: [{"id": "flood-alert"}],
        load_projects,
        owner="programme",
    )
    reg.register_section(projects)  # what a programme module would do
    reg.register_section(
        Section("projects", ("projects.yaml",), lambda ctx: [], reserved=True)
    )  # kept out
    with pytest.raises(ValueError, match="already owned by programme"):
        reg.register_section(Section("projects", ("projects.yaml",), lambda ctx: [], owner="other"))
    report = await load_pack(hub, validate_pack(root), tenant="t1")
    assert report.sections["projects"].status == LOADED
    assert report.sections["projects"].counts == SyncCounts(created=1)
    assert (await hub.get("t1", "urn:ngsi-ld:Project:flood-alert")).created_by == "pack:test-city"
