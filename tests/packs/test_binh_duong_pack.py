"""The Bình Dương pack holds what the scenarios need, at real places, labelled illustrative."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

import pytest

from cityioc.core.geo import haversine_m
from cityioc.packs import Pack, area_at, validate_pack
from cityioc.packs.entities import sensor_entity
from cityioc.packs.fleet import SensorSpec

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)
THUAN_AN, DI_AN, THU_DAU_MOT = "725", "724", "718"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return validate_pack("binh-duong")


def former_district(pack: Pack, sensor: SensorSpec) -> str | None:
    found = area_at(pack.areas, sensor.area, BEFORE)
    return found.code if found is not None else None


def test_manifest(pack: Pack) -> None:
    m = pack.manifest
    assert (m.name, m.timezone, m.locales) == ("binh-duong", "Asia/Ho_Chi_Minh", ["vi", "en"])
    assert "Hồ Chí Minh" in m.title.vi and "Ho Chi Minh City" in m.title.en


def test_nine_districts_before_and_thirty_six_wards_and_communes_after(pack: Pack) -> None:
    districts = pack.areas.valid_at(BEFORE, level="district")
    assert len(districts) == 9
    assert {d.name_vi.split(" ", 2)[-1] for d in districts} >= {"Thủ Dầu Một", "Dĩ An"}
    assert not pack.areas.valid_at(AFTER, level="district")
    communes = pack.areas.valid_at(AFTER, level="commune")
    assert len(communes) == 36
    assert Counter(c.unit_type for c in communes) == {"phường": 24, "xã": 12}
    assert all(c.approximate and c.parent == "79" for c in communes)


def test_agencies_cover_the_required_kinds_and_every_ward(pack: Pack) -> None:
    ids = {a.id for a in pack.agencies}
    assert {"stnmt", "sgtvt", "sxd", "cong-an", "syt", "dien-luc", "chieu-sang", "biwase"} <= ids
    for ward in pack.areas.valid_at(AFTER, level="commune"):
        assert f"ubnd-{ward.code}" in ids
    lighting = next(a for a in pack.agencies if a.id == "chieu-sang")
    assert lighting.illustrative  # invented: labelled so
    categories = {c.code: c for c in pack.categories}
    assert categories["ngap-nuoc"].alert is not None
    assert categories["den-duong-hong"].default_agency == "chieu-sang"


def test_the_fleet_has_the_stations_the_scenarios_need(pack: Pack) -> None:
    fleet = pack.fleet
    counts = fleet.count_by_type()
    assert counts["AirQualityObserved"] >= 20
    assert counts["Streetlight"] >= 200
    for kind in ("WeatherObserved", "WaterObserved", "OffStreetParking", "NoiseLevelObserved"):
        assert counts[kind] >= 1
    floods = [s for s in fleet.sensors if s.type == "FloodMonitoring"]
    low = Counter(former_district(pack, s) for s in floods if "lowLying" in s.tags)
    assert low[THUAN_AN] >= 3 and low[DI_AN] >= 3  # scenario 1: low parts of Thuận An, Dĩ An
    river = [s for s in floods if "riverside" in s.tags]
    assert any(former_district(pack, s) == THU_DAU_MOT for s in river)  # Sài Gòn river bank
    industrial = [
        s for s in fleet.sensors if s.type == "AirQualityObserved" and "industrial" in s.tags
    ]
    assert len(industrial) >= 5  # scenario 2: PM2.5 near the industrial parks
    traffic = [s for s in fleet.sensors if s.type == "TrafficFlowObserved"]
    assert {t for s in traffic for t in s.tags} >= {"boulevard", "myPhuocTanVan"}
    assert {s.attributes["laneDirection"]["value"] for s in traffic} == {"forward", "backward"}


def test_fourteen_lamps_in_a_row_on_my_phuoc_tan_van(pack: Pack) -> None:
    """Scenario 3: a segment of Mỹ Phước–Tân Vạn has at least 14 consecutive lamps."""
    lamps = [s for s in pack.fleet.sensors if s.type == "Streetlight" and "myPhuocTanVan" in s.tags]
    by_segment = Counter(s.attributes["refStreetlightGroup"]["object"] for s in lamps)
    assert max(by_segment.values()) >= 14
    first = [s for s in lamps if s.attributes["refStreetlightGroup"]["object"].endswith("-01")]
    gaps = [haversine_m(a.lon, a.lat, b.lon, b.lat) for a, b in itertools.pairwise(first)]
    assert all(39.5 < g < 40.5 for g in gaps)  # every ~40 m, in order
    assert all(s.initial["status"]["value"] == "ok" for s in lamps)
    assert all(s.initial["powerState"]["value"] == "off" for s in lamps)


def test_every_sensor_keeps_the_simulator_contract_and_is_labelled(pack: Pack) -> None:
    vocabulary = set(pack.manifest.simulation_tags)
    for sensor in pack.fleet.sensors:
        body = sensor_entity(sensor, pack.areas, pack.manifest.data_provider).body
        assert body["id"] == f"urn:ngsi-ld:{sensor.type}:{sensor.local_id}"
        assert body["location"]["value"]["type"] == "Point"
        assert isinstance(body["areaServed"]["value"], str)
        assert body["refArea"]["object"] == f"urn:ngsi-ld:AdministrativeArea:{sensor.area}"
        assert set(body["simulationTags"]["value"]) <= vocabulary
        assert body["illustrative"]["value"] is True
        assert body["dataProvider"]["value"] == "cityioc — Bình Dương pack (illustrative)"
        if sensor.type == "FloodMonitoring":
            for name in ("referenceLevel", "alertLevel", "dangerLevel"):
                assert body[name]["unitCode"] == "MTR"
        if sensor.type == "OffStreetParking":
            assert body["totalSpotNumber"]["value"] > 0
        if sensor.type == "TrafficFlowObserved":
            assert body["refRoadSegment"]["object"].startswith("urn:ngsi-ld:RoadSegment:")


def test_expansion_is_deterministic() -> None:
    first = validate_pack("binh-duong").fleet
    again = validate_pack("binh-duong").fleet
    assert [(s.id, s.lon, s.lat, s.area) for s in first.sensors] == [
        (s.id, s.lon, s.lat, s.area) for s in again.sensors
    ]
