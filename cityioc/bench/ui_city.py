"""The city the web UI benchmark loads: sensors of the pack's types spread over Bình Dương,
incidents opened through the incidents API, and a feeder process that changes sensors' states at a
fixed rate.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from typing import Any

from cityioc.bench.server import Http
from cityioc.core.clock import iso_ms

# How the sensors split between the map's layers (shares of the total; streetlights dominate a
# real city's device count). Each type's main reading, so that every marker has a state.
MIX: tuple[tuple[str, float, str, float, str | None], ...] = (
    ("Streetlight", 0.40, "status", 0, None),
    ("AirQualityObserved", 0.15, "pm25", 20.0, "GQ"),
    ("TrafficFlowObserved", 0.15, "averageVehicleSpeed", 35.0, "KMH"),
    ("FloodMonitoring", 0.10, "currentLevel", 0.1, "MTR"),
    ("WeatherObserved", 0.05, "precipitation", 0.0, "MMT"),
    ("NoiseLevelObserved", 0.05, "LAeq", 60.0, "2N"),
    ("OffStreetParking", 0.05, "availableSpotNumber", 40, None),
    ("WaterObserved", 0.05, "waterLevel", 1.2, "MTR"),
)
# Bình Dương (the 2025 province, before the merger into Hồ Chí Minh City): lon, lat bounds.
WEST, EAST, SOUTH, NORTH = 106.40, 106.95, 10.85, 11.50
SENSOR = "urn:ngsi-ld:{type}:ui-bench-{n:05d}"
# PM2.5 that draw as "good" and "poor": each feed flips a station between the two.
PM25_GOOD, PM25_POOR = 10.0, 65.0


def _prop(value: Any, unit: str | None = None, at: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Property", "value": value}
    if unit:
        out["unitCode"] = unit
    if at:
        out["observedAt"] = at
    return out


def _point(rng: random.Random) -> dict[str, Any]:
    lon = round(rng.uniform(WEST, EAST), 5)
    lat = round(rng.uniform(SOUTH, NORTH), 5)
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def sensors(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` sensors, each with a name, a location and a current reading."""
    rng = random.Random(seed)
    at = iso_ms(int(time.time() * 1000))
    out: list[dict[str, Any]] = []
    for kind, share, attribute, value, unit in MIX:
        for n in range(max(1, round(count * share))):
            entity: dict[str, Any] = {
                "id": SENSOR.format(type=kind, n=n),
                "type": kind,
                "name": _prop(f"{kind} {n:05d}"),
                "location": _point(rng),
                attribute: _prop("ok" if kind == "Streetlight" else value, unit, at),
            }
            if kind == "Streetlight":
                entity["powerState"] = _prop("on")
            if kind == "FloodMonitoring":
                entity["alertLevel"] = _prop(0.2, "MTR")
                entity["dangerLevel"] = _prop(0.5, "MTR")
            out.append(entity)
    return out[:count]


def air_stations(count: int, wanted: int) -> list[str]:
    """The ids of the first ``wanted`` air-quality stations among ``sensors(count)``."""
    present = [e["id"] for e in sensors(count) if e["type"] == "AirQualityObserved"]
    return present[:wanted]


def incident_draft(n: int, rng: random.Random) -> dict[str, Any]:
    point = _point(rng)["value"]
    return {
        "title": {"vi": f"Sự cố thử tải số {n:04d}", "en": f"Load-test incident {n:04d}"},
        "description": "Opened by the web UI benchmark.",
        "capCategory": rng.choice(["Met", "Safety", "Env", "Infra", "Transport"]),
        "capSeverity": rng.choice(["Minor", "Moderate", "Severe"]),
        "capUrgency": "Expected",
        "capCertainty": "Likely",
        "location": point,
        "sop": "none",
    }


def load(http: Http, sensor_count: int, incident_count: int, batch: int) -> float:
    """Write the city through the API; returns the seconds it took."""
    started = time.monotonic()
    city = sensors(sensor_count)
    for i in range(0, len(city), batch):
        http.call("POST", "/ngsi-ld/v1/entityOperations/upsert", city[i : i + batch])
    rng = random.Random(11)
    for n in range(incident_count):
        http.call("POST", "/api/v1/incidents", incident_draft(n, rng))
    return time.monotonic() - started


def pm25_at(round_: int) -> float:
    return PM25_POOR if round_ % 2 == 0 else PM25_GOOD


def feed(port: int, ids: list[str], rate: int, seconds: float, results: Any) -> None:
    """A separate process: ``rate`` readings/s over ``ids`` (10 posts a second), each flipping a
    station between good and poor air; puts (readings sent, seconds) on ``results``."""
    tick = 0.1
    per_tick = max(1, round(rate * tick))
    http = Http(port, timeout=30)
    sent, cursor = 0, 0
    started = next_at = time.monotonic()
    while time.monotonic() - started < seconds:
        at = iso_ms(int(time.time() * 1000))
        batch = []
        for _ in range(per_tick):
            round_ = cursor // len(ids)
            value = pm25_at(round_)
            batch.append({"entity": ids[cursor % len(ids)], "attribute": "pm25", "value": value})
            batch[-1]["observedAt"] = at
            cursor += 1
        http.call("POST", "/api/v1/readings", batch)
        sent += per_tick
        next_at += tick
        time.sleep(max(0.0, next_at - time.monotonic()))
    http.close()
    results.put((sent, time.monotonic() - started, cursor))


class Feeder:
    """``feed`` in a spawned process (not forked: the parent runs Playwright's threads)."""

    def __init__(self, port: int, ids: list[str], rate: int, seconds: float) -> None:
        ctx = mp.get_context("spawn")
        self.results: Any = ctx.Queue()
        self.proc = ctx.Process(
            target=feed, args=(port, ids, rate, seconds, self.results), daemon=True
        )
        self.proc.start()

    def finish(self, timeout: float) -> tuple[int, float, int]:
        """(readings sent, seconds, readings posted in all) once the process is done."""
        try:
            result: tuple[int, float, int] = self.results.get(timeout=timeout)
        finally:
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(10)
        return result
