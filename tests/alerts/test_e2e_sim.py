"""The demo's scenarios raise real alerts: the simulator (in process, on a fake clock) drives the
Bình Dương rules through the hub and the engine, minute by minute."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from cityioc.alerts.aqi_job import AqiJob
from cityioc.alerts.models import AlertView
from cityioc.core.clock import FakeClock
from cityioc.sim.fleet import Fleet
from cityioc.sim.publishers import InProcessPublisher
from cityioc.sim.simulator import Simulator
from cityioc.store.port import Store
from tests.alerts.conftest import Rig, make_rig
from tests.sim.conftest import local_ms
from tests.sim.fleet_data import normalized, small_fleet

PACK_RULES = Path(__file__).parents[2] / "cityioc" / "packs" / "binh_duong" / "rules.yaml"
MINUTE = 60_000


async def _scene(store: Store, clock: FakeClock, interval_ms: int) -> tuple[Rig, Simulator]:
    rules = yaml.safe_load(PACK_RULES.read_text(encoding="utf-8"))
    rig = await make_rig(store, clock, rules)
    publisher = InProcessPublisher(rig.hub)
    await publisher.ensure_entities([normalized(e) for e in small_fleet()])
    sim = Simulator(
        Fleet.from_entities(small_fleet()), seed=1, clock=clock, interval_ms=interval_ms
    )
    return rig, sim


async def _run(rig: Rig, sim: Simulator, until: int, step_ms: int, aqi: AqiJob | None = None):  # type: ignore[no-untyped-def]
    publisher = InProcessPublisher(rig.hub)
    n = 0
    while rig.clock.now_ms() < until:
        rig.clock.advance(seconds=step_ms / 1000)
        await sim.step(publisher)
        await rig.engine.idle()
        n += 1
        if aqi is not None and n % 3 == 0:
            await aqi.run_once("default")
            await rig.engine.idle()
        await rig.engine.tick()


def _of(alerts: list[AlertView], rule: str) -> list[AlertView]:
    return [a for a in alerts if a.rule == f"urn:ngsi-ld:AlertRule:{rule}"]


@pytest.mark.slow
async def test_heavy_rain_raises_one_flood_alert_per_low_station_and_clears_them(
    engine_store: Store,
) -> None:
    clock = FakeClock(local_ms("2026-08-20 16:50"))
    rig, sim = await _scene(engine_store, clock, MINUTE)
    run = sim.trigger("heavy_rain", start=local_ms("2026-08-20 17:05"))
    await _run(rig, sim, local_ms("2026-08-20 17:40"), MINUTE)
    low = {s.id for s in sim.fleet.sensors if s.type == "FloodMonitoring" and "lowLying" in s.tags}
    active = _of(await rig.alerts_list(), "flood-above-alert-level")
    assert {a.source for a in active} == low and all(a.active for a in active)
    await _run(rig, sim, run.end_ms + 20 * MINUTE, MINUTE)
    floods = _of(await rig.alerts_list(), "flood-above-alert-level")
    assert sorted(a.source or "" for a in floods) == sorted(low)  # exactly one each
    assert all(a.status == "cleared" for a in floods)
    assert all(a.get("capSeverity") == "Severe" for a in floods)


@pytest.mark.slow
async def test_a_pollution_episode_raises_aqi_alerts_with_health_advice(
    engine_store: Store,
) -> None:
    clock = FakeClock(local_ms("2026-01-14 19:00"))
    rig, sim = await _scene(engine_store, clock, 5 * MINUTE)
    seen: list[tuple[str, str]] = []
    rig.alerts.on_alert(lambda tenant, alert, what: seen.append((alert.severity or "", what)))
    run = sim.trigger("pollution_episode", start=local_ms("2026-01-14 22:00"))
    aqi = AqiJob(rig.hub, clock, rig.engine.memory.known_tenants)
    await _run(rig, sim, local_ms("2026-01-15 04:00"), 5 * MINUTE, aqi)
    alerts = _of(await rig.alerts_list(), "air-quality-poor")
    assert len(alerts) >= 4 and {a.source for a in alerts} <= set(run.sensors)
    assert len({a.source for a in alerts}) == len(alerts)  # one per station
    worst = max(alerts, key=lambda a: int(a.get("airQualityIndex") or 0))
    assert worst.get("airQualityLevel") == "xau" and worst.severity == "high"
    assert worst.get("healthAdvice")["en"].startswith("Everyone should reduce")
    assert "Xấu" in worst.title["vi"] and "Bad" in worst.title["en"]
    assert any(severity == "high" for severity, _ in seen)  # escalated, and told so
    await _run(rig, sim, local_ms("2026-01-15 15:00"), 5 * MINUTE, aqi)
    after = _of(await rig.alerts_list(), "air-quality-poor")
    assert {a.id for a in alerts} <= {a.id for a in after}
    assert len({a.source for a in after}) == len(after)  # still one per station: no repeats
    assert all(a.status == "cleared" for a in after)


@pytest.mark.slow
async def test_streetlight_faults_raise_one_alert_for_the_segment(engine_store: Store) -> None:
    clock = FakeClock(local_ms("2026-03-10 18:20"))
    rig, sim = await _scene(engine_store, clock, MINUTE)
    run = sim.trigger(
        "streetlight_faults", start=local_ms("2026-03-10 18:30"), duration=timedelta(hours=1)
    )
    await _run(rig, sim, local_ms("2026-03-10 19:20"), MINUTE)
    [alert] = _of(await rig.alerts_list(), "streetlight-segment-dark")
    assert alert.active and alert.source == "mptv-07"  # the fleet's relationship, as given
    assert alert.get("affectedCount") == len(run.sensors) == 16
    await _run(rig, sim, run.end_ms + 20 * MINUTE, MINUTE)
    [alert] = _of(await rig.alerts_list(), "streetlight-segment-dark")
    assert alert.status == "cleared"
