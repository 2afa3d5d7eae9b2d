"""Several server processes, one rule engine: the lease holder evaluates every change (its own and
those the others publish as not evaluated); when it stops, another takes over with its memory.

Two "processes" share one store in one event loop; changes cross between them as NATS delivers
them (decoded copies: ``local=False``, ``evaluated`` as the maker's engine set it)."""

from __future__ import annotations

import dataclasses

from cityioc.alerts.engine_lease import EngineLease
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.service import Alerts
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import FakeClock, iso_ms
from cityioc.hub.models import Mutation
from cityioc.hub.service import Hub
from cityioc.store.port import Store
from tests.alerts.conftest import FLOOD_RULE, Rig, flood_station, make_rig, new_engine


async def test_the_lease_holder_evaluates_and_another_takes_over_with_its_memory(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    a = await make_rig(engine_store, fake_clock, [FLOOD_RULE])  # above alertLevel for 10 min
    hub_b = Hub(engine_store, fake_clock)
    rules_b = RuleStore(hub_b, fake_clock)
    b = Rig(engine_store, fake_clock, hub_b, Alerts(hub_b, fake_clock), rules_b,
            new_engine(Alerts(hub_b, fake_clock), rules_b, fake_clock))  # fmt: skip
    lease_a, lease_b = EngineLease(a.engine, fake_clock), EngineLease(b.engine, fake_clock)
    await lease_a.first()
    await lease_b.first()
    assert a.engine.leading and not b.engine.leading
    await b.engine.start(background=False)

    def crossing(maker: Rig, other: Rig) -> None:
        def publish(tenant: str, actor: str, m: Mutation) -> None:
            event = ChangeEvent.of(tenant, actor, m, evaluated=maker.engine.leading)
            if maker is b:
                maker.engine.handle(event)  # (a's own handler is make_rig's)
            other.engine.handle(dataclasses.replace(event, local=False))

        maker.hub.on_change(publish)

    crossing(a, b)
    crossing(b, a)
    station = await flood_station(a.hub, "st")
    await a.engine.idle()

    async def reading_through_b(value: float) -> None:
        item = {"entity": station, "attribute": "currentLevel", "value": value,
                "observedAt": iso_ms(fake_clock.now_ms())}  # fmt: skip
        assert not (await hub_b.ingest_readings("default", [item], "test")).errors
        await a.engine.idle()
        await b.engine.idle()

    await reading_through_b(0.5)  # above: pending, in a's memory (b follows and does nothing)
    assert b.engine.evaluated == 0 and a.engine.evaluated > 0
    await a.advance(5)  # a persists its memory as it ticks
    assert await a.alerts_list() == []
    await b.advance(1)  # a follower does not tick
    await a.engine.stop()
    await lease_a.release()  # a clean stop hands the lease on at once

    await lease_b.renew()
    assert b.engine.leading
    await b.advance(5)  # 11 minutes above since the reading a saw: b knows, and raises it
    [alert] = await b.alerts_list()
    assert alert.get("alertSource") == station
    await reading_through_b(0.6)  # b evaluates what it makes itself now
    assert len(await b.alerts_list()) == 1
    await b.engine.stop()


async def test_a_follower_takes_over_only_once_the_lease_has_expired(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    a = await make_rig(engine_store, fake_clock, [])
    b = await make_rig(engine_store, fake_clock, [])
    lease_a, lease_b = EngineLease(a.engine, fake_clock), EngineLease(b.engine, fake_clock)
    await lease_a.first()
    await lease_b.first()
    assert a.engine.leading and not b.engine.leading
    fake_clock.advance(seconds=10)  # a crashed: it renews no more
    await lease_b.renew()
    assert not b.engine.leading  # 10 s < the lease's 15 s
    fake_clock.advance(seconds=6)
    await lease_b.renew()
    assert b.engine.leading
    await lease_a.renew()  # a comes back: it has lost the lease and steps down
    assert not a.engine.leading
