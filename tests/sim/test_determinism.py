"""Same seed, fleet and range → the same bytes, however the range is cut or the fleet ordered."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import orjson
import pytest

from cityioc.sim.engine import Engine
from cityioc.sim.fleet import Fleet, clone_entities
from cityioc.sim.scenarios import ScenarioRun, plan
from tests.sim.conftest import HOUR, MINUTE, local_ms
from tests.sim.fleet_data import small_fleet

START = local_ms("2026-01-14 16:00")


def _in_windows(engine: Engine, cuts: list[int], runs: Sequence[ScenarioRun]) -> bytes:
    out = []
    for a, b in itertools.pairwise(cuts):
        out += engine.readings(a, b, runs)
    return orjson.dumps(out)


def test_the_same_seed_gives_the_same_bytes_whatever_the_windows(fleet: Fleet) -> None:
    end = START + 4 * HOUR
    runs = [plan("heavy_rain", fleet, START + 65 * MINUTE, seed=3)]
    whole = orjson.dumps(Engine(fleet, seed=3).readings(START, end, runs))
    odd_cuts = [START, START + 1, START + 7 * MINUTE + 333, START + 2 * HOUR, end - 1, end]
    per_second = list(range(START, START + 10 * MINUTE, 1000))
    assert _in_windows(Engine(fleet, seed=3), odd_cuts, runs) == whole
    first_ten = orjson.dumps(Engine(fleet, seed=3).readings(START, START + 10 * MINUTE, runs))
    cuts = [*per_second, START + 10 * MINUTE]
    assert _in_windows(Engine(fleet, seed=3), cuts, runs) == first_ten
    reordered = Fleet.from_entities(list(reversed(small_fleet())))
    assert orjson.dumps(Engine(reordered, seed=3).readings(START, end, runs)) == whole


def test_another_seed_gives_other_readings(fleet: Fleet) -> None:
    one = Engine(fleet, seed=1).readings(START, START + HOUR)
    two = Engine(fleet, seed=2).readings(START, START + HOUR)
    assert one != two
    measured = ("pm25", "temperature", "intensity", "currentLevel", "LAeq")

    def values(readings: list[dict[str, object]]) -> set[tuple[object, ...]]:
        return {
            (r["entity"], r["attribute"], r["observedAt"], r["value"])
            for r in readings
            if r["attribute"] in measured
        }

    assert len(values(one) & values(two)) < 0.2 * len(values(one))  # most values differ


def test_every_sensor_reports_once_per_interval_spread_over_the_interval(fleet: Fleet) -> None:
    engine = Engine(fleet, seed=5, interval_ms=60_000)
    observed = engine.observe(START, START + 10 * MINUTE)
    reports = sum(len(o.t) for o in observed)
    lamps = len(fleet.groups["Streetlight"])
    due = 10 * (len(fleet) - lamps) + 10 * lamps // 4  # lamps report every fourth interval
    assert 0.97 * due <= reports <= due  # a few are lost (gaps)
    seconds = {int(t) // 1000 % 60 for o in observed for t in o.t}
    assert len(seconds) > 25  # phases spread the load over the minute
    for o in observed:
        assert (o.t >= START).all() and (o.t < START + 10 * MINUTE).all()
        assert (o.t % 1000 == 0).all()


def test_readings_are_in_the_readings_path_format_with_unit_codes(fleet: Fleet) -> None:
    readings = Engine(fleet, seed=1).readings(START, START + 2 * MINUTE)
    by_attr = {r["attribute"]: r for r in readings}
    assert by_attr["pm25"]["unitCode"] == "GQ" and isinstance(by_attr["pm25"]["value"], float)
    assert by_attr["currentLevel"]["unitCode"] == "MTR"
    assert by_attr["status"]["value"] in ("ok", "defectiveLamp", "columnIssue", "brokenLantern")
    assert "unitCode" not in by_attr["congested"] and isinstance(
        by_attr["congested"]["value"], bool
    )
    assert isinstance(by_attr["availableSpotNumber"]["value"], int)
    assert set(by_attr) >= {"LAeq", "LAmax", "waterLevel", "flow", "windDirection", "intensity"}
    for r in readings:
        assert r["entity"].startswith("urn:ngsi-ld:") and r["observedAt"].endswith("Z")
        assert set(r) <= {"entity", "attribute", "value", "observedAt", "unitCode"}


def test_a_scaled_fleet_is_deterministic_and_labels_its_clones(fleet: Fleet) -> None:
    big = fleet.scaled(500, seed=4)
    assert len(big) == 500 and big.sensors == fleet.scaled(500, seed=4).sensors
    clones = [s for s in big.sensors if s.synthetic]
    assert len(clones) == 500 - len(fleet)
    one = next(s for s in clones if s.origin == "urn:ngsi-ld:FloodMonitoring:fl-laithieu")
    original = fleet["urn:ngsi-ld:FloodMonitoring:fl-laithieu"]
    assert one.id.startswith("urn:ngsi-ld:FloodMonitoring:fl-laithieu-sim")
    assert one.tags == original.tags and one.levels == original.levels
    assert abs(one.lon - original.lon) < 0.005 and abs(one.lat - original.lat) < 0.005
    lamp = next(s for s in clones if s.type == "Streetlight")
    assert lamp.group.startswith(fleet[lamp.origin or ""].group + "-sim")  # its own segment
    created = clone_entities(big)
    assert len(created) == len(clones) and all(b["synthetic"]["value"] for b in created)
    again = Fleet.from_entities([*small_fleet(), *created[:3]]).scaled(500, seed=4)
    assert again.sensors == big.sensors  # the clones read back are derived again, not doubled
    assert len(clone_entities(again)) == len(created) - 3  # and not created twice
    small = fleet.scaled(8)
    assert len(small) == 8 and len({s.type for s in small.sensors}) == 8  # every type kept


@pytest.mark.parametrize("count", [100, 2000])
def test_clones_report_their_own_values(fleet: Fleet, count: int) -> None:
    big = fleet.scaled(count, seed=1)
    readings = Engine(big, seed=1).readings(START, START + MINUTE)
    pm = {r["entity"]: r["value"] for r in readings if r["attribute"] == "pm25"}
    assert len(pm) > len(fleet.groups["AirQualityObserved"])
    clones = [(eid, big[eid].origin) for eid in pm if big[eid].synthetic]
    same = [eid for eid, origin in clones if pm[eid] == pm.get(origin or "")]
    assert len(same) < 0.2 * len(clones)
