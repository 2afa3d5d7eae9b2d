"""The live simulator: real-time steps, scenario triggers while it runs, falling behind."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from cityioc.core.clock import FakeClock, parse_datetime_ms
from cityioc.core.errors import ResourceNotFound
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.sim.engine import Engine
from cityioc.sim.fleet import Fleet
from cityioc.sim.publishers import InProcessPublisher
from cityioc.sim.simulator import Simulator
from cityioc.store.port import Store
from tests.sim.conftest import MINUTE, local_ms
from tests.sim.fleet_data import normalized, small_fleet

START = local_ms("2026-01-14 17:00")
JAM = "urn:ngsi-ld:TrafficFlowObserved:seg-bd13-a-0"


class Collecting:
    """A publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.readings: list[dict[str, Any]] = []
        self.entities: list[dict[str, Any]] = []

    async def publish(self, readings: Sequence[dict[str, Any]]) -> int:
        self.readings += readings
        return len(readings)

    async def ensure_entities(self, bodies: Sequence[dict[str, Any]]) -> None:
        self.entities += bodies

    async def aclose(self) -> None:
        return None


async def started(fleet: Fleet, **options: Any) -> tuple[FakeClock, Simulator, Collecting]:
    """A simulator at START that has published its first round."""
    clock = FakeClock(START)
    sim = Simulator(fleet, seed=options.pop("seed", 4), clock=clock, **options)
    out = Collecting()
    await sim.step(out)
    return clock, sim, out


async def test_steps_publish_every_report_once_in_real_time(fleet: Fleet) -> None:
    clock, sim, out = await started(fleet)
    first = {r["entity"] for r in out.readings}
    assert len(first) >= len(fleet) - 2  # everyone reports right away (a gap or two aside)
    pairs = [(r["entity"], r["attribute"]) for r in out.readings]
    assert len(pairs) == len(set(pairs))  # once each
    for _ in range(30):
        clock.advance(seconds=10)
        await sim.step(out)
    engine = Engine(fleet, seed=4)
    assert out.readings == engine.latest(START) + engine.readings(START, START + 5 * MINUTE)
    assert sim.stats.simulated_to == START + 5 * MINUTE and sim.stats.steps == 31
    assert sim.stats.readings == len(out.readings)


async def test_a_scenario_triggered_while_running_changes_the_next_readings(
    fleet: Fleet,
) -> None:
    clock, sim, out = await started(fleet)
    run = sim.trigger("traffic_jam", duration=timedelta(minutes=40))
    assert run.to_dict(clock.now_ms())["state"] == "active" and JAM in run.sensors
    for _ in range(20):
        clock.advance(minutes=1)
        await sim.step(out)

    def congested(after: int) -> list[bool]:
        return [
            r["value"]
            for r in out.readings
            if r["entity"] == JAM
            and r["attribute"] == "congested"
            and parse_datetime_ms(r["observedAt"]) >= after
        ]

    assert congested(START + 12 * MINUTE) and all(congested(START + 12 * MINUTE))
    ended = sim.cancel(run.id)
    assert ended.end_ms == clock.now_ms()
    cut = len(out.readings)
    for _ in range(5):
        clock.advance(minutes=1)
        await sim.step(out)
    assert not any(r["value"] for r in out.readings[cut:] if r["attribute"] == "congested")
    assert [r.state(clock.now_ms()) for r in sim.runs()] == ["finished"]
    later = sim.trigger("pollution_episode", start=clock.now_ms() + 3_600_000)
    assert later.state(clock.now_ms()) == "planned" and len(sim.runs()) == 2
    with pytest.raises(ResourceNotFound):
        sim.trigger("volcano")
    with pytest.raises(ResourceNotFound):
        sim.cancel("nope")
    assert {i.name for i in Simulator.catalogue()} >= {"heavy_rain", "sensor_outage"}


async def test_a_scenario_started_in_the_past_publishes_its_sensors_past_again(
    fleet: Fleet,
) -> None:
    clock, sim, out = await started(fleet)
    for _ in range(30):  # half an hour of ordinary traffic published
        clock.advance(minutes=1)
        await sim.step(out)
    cut = len(out.readings)
    run = sim.trigger("traffic_jam", start=START, duration=timedelta(hours=1))
    await sim.step(out)  # the jam's first half hour comes again, jammed
    again = out.readings[cut:]
    assert again and {r["entity"] for r in again} <= set(run.sensors)
    times = [parse_datetime_ms(r["observedAt"]) for r in again]
    assert min(times) >= START and max(times) < START + 30 * MINUTE
    assert times == sorted(times)  # in time order, as the rules must see an episode
    jammed = [r["value"] for r in again if r["entity"] == JAM and r["attribute"] == "congested"]
    late = [
        r["value"]
        for r in again
        if r["entity"] == JAM
        and r["attribute"] == "congested"
        and parse_datetime_ms(r["observedAt"]) >= START + 12 * MINUTE
    ]
    assert jammed and late and all(late)  # as the live test sees after 12 minutes
    assert not any(
        r["value"]
        for r in out.readings[:cut]
        if r["entity"] == JAM and r["attribute"] == "congested"
    )  # what was published before said no jam
    cut = len(out.readings)
    clock.advance(minutes=1)
    await sim.step(out)  # replayed once; then on as usual
    assert all(
        parse_datetime_ms(r["observedAt"]) >= START + 30 * MINUTE for r in out.readings[cut:]
    )


async def test_falling_behind_skips_the_oldest_readings_and_says_so(fleet: Fleet) -> None:
    clock, sim, out = await started(fleet, seed=1, max_lag_ms=5 * MINUTE)
    assert sim.stats.skipped_ms == 0
    clock.advance(minutes=12)
    out.readings.clear()
    await sim.step(out)
    assert sim.stats.skipped_ms == 7 * MINUTE
    times = {parse_datetime_ms(r["observedAt"]) for r in out.readings}
    assert min(times) >= START + 7 * MINUTE


async def test_the_demo_runs_it_in_process_into_the_hub(store: Store, clock: FakeClock) -> None:
    hub = Hub(store, clock)
    publisher = InProcessPublisher(hub)
    await publisher.ensure_entities([normalized(e) for e in small_fleet()])
    sim = await Simulator.from_hub(hub, sensors=60, seed=2)
    assert len(sim.fleet) == 60 and sim.clock is clock
    stop = asyncio.Event()
    stop.set()  # run() makes the clones exist even if it stops at once
    await sim.run(publisher, stop)
    clone = next(s.id for s in sim.fleet.sensors if s.synthetic)
    assert clone in await store.get_entities("default", [clone])
    accepted = await sim.step(publisher)
    assert accepted >= 0.97 * sim.engine.readings_per_interval
    core = core_context()
    lamp = (await store.get_entities("default", ["urn:ngsi-ld:Streetlight:mptv-07-1"]))[
        "urn:ngsi-ld:Streetlight:mptv-07-1"
    ]
    power = lamp.doc[core.expand_term("powerConsumption")]
    assert isinstance(power, dict) and power["unitCode"] == "WTT"


async def test_run_ticks_until_stopped(fleet: Fleet) -> None:
    sim = Simulator(fleet, seed=1, interval_ms=1000, slice_ms=20)
    out = Collecting()
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(out, stop))
    await asyncio.sleep(0.5)
    stop.set()
    stats = await task
    assert stats.steps >= 5 and stats.errors == 0 and stats.readings == len(out.readings)
    assert stats.readings >= 0.97 * sim.engine.readings_per_interval  # the first round at least
    assert out.entities == []  # the fleet has no clones to create
