"""The event bus: in-process, and over real NATS JetStream between two 'processes'."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest

from cityioc.bus.events import ChangeEvent
from cityioc.bus.memory import MemoryBus
from cityioc.bus.nats_bus import CHUNK, NatsBus, _chunks
from cityioc.hub.models import StoredEntity
from tests.services import require_nats


def _event(n: int, tenant: str = "default") -> ChangeEvent:
    entity = StoredEntity(
        f"urn:ngsi-ld:T:{n}", ["T"], {"p": {"type": "Property", "value": n}}, 1, 2, "a", "b"
    )
    return ChangeEvent(tenant, "key:test", [entity], [f"urn:ngsi-ld:T:gone{n}"], n % 2 == 0)


def test_events_survive_encoding() -> None:
    event = _event(4)
    assert ChangeEvent.decode(event.encode()) == event
    unevaluated = dataclasses.replace(event, evaluated=False)  # made where no rule engine runs
    assert ChangeEvent.decode(unevaluated.encode()).evaluated is False


def test_big_events_travel_in_parts_that_keep_every_flag() -> None:
    many = [StoredEntity(f"urn:ngsi-ld:T:{n}", ["T"], {}, 1, 2, "a", "b") for n in range(CHUNK + 1)]
    event = ChangeEvent("t", "a", many, ["urn:ngsi-ld:T:gone"], True, True, evaluated=False)
    parts = _chunks(event)
    assert [len(p.upserts) for p in parts] == [CHUNK, 1, 0]
    assert [p.deletes for p in parts] == [[], [], ["urn:ngsi-ld:T:gone"]]
    assert all(p.notifications and p.subscriptions_changed and not p.evaluated for p in parts)


def test_memory_bus_isolates_a_failing_handler() -> None:
    bus = MemoryBus()
    seen: list[ChangeEvent] = []

    def broken(_: ChangeEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(_event(1))
    assert seen == [_event(1)]


@pytest.fixture
async def two_buses() -> AsyncIterator[tuple[NatsBus, NatsBus]]:
    url = require_nats()
    prefix = f"test{uuid.uuid4().hex[:10]}"
    a, b = NatsBus(url, prefix=prefix), NatsBus(url, prefix=prefix)
    await a.start()
    await b.start()
    assert a.connected and b.connected
    yield a, b
    await a.delete_stream()
    await a.stop()
    await b.stop()


async def _until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def test_each_process_sees_every_change_once(two_buses: tuple[NatsBus, NatsBus]) -> None:
    a, b = two_buses
    seen_a: list[ChangeEvent] = []
    seen_b: list[ChangeEvent] = []
    a.subscribe(seen_a.append)
    b.subscribe(seen_b.append)
    for n in range(5):
        a.publish(_event(n))
    b.publish(_event(99, tenant="other"))
    await _until(lambda: len(seen_b) == 6 and len(seen_a) == 6)
    await asyncio.sleep(0.2)  # and no echo of its own changes
    from_a = [e.upserts[0].id for e in seen_b if e.tenant == "default"]
    assert from_a == [f"urn:ngsi-ld:T:{n}" for n in range(5)]  # in order
    assert sorted(e.upserts[0].id for e in seen_a) == sorted(e.upserts[0].id for e in seen_b)
    assert _event(0) in seen_b  # whole, as published


async def test_big_writes_are_split_into_messages(two_buses: tuple[NatsBus, NatsBus]) -> None:
    a, b = two_buses
    seen: list[ChangeEvent] = []
    b.subscribe(seen.append)
    entities = [e for n in range(1000) for e in _event(n).upserts]
    a.publish(ChangeEvent("default", "key:test", entities, ["urn:x:gone"]))
    await _until(lambda: sum(len(e.upserts) for e in seen) == 1000 and any(e.deletes for e in seen))
    assert [e.id for part in seen for e in part.upserts] == [e.id for e in entities]


async def test_an_unreachable_server_does_not_block_publishing() -> None:
    bus = NatsBus("nats://127.0.0.1:1", prefix="nowhere", queue_size=3)
    seen: list[ChangeEvent] = []
    bus.subscribe(seen.append)
    await bus.start(wait_s=0.2)
    assert not bus.connected
    for n in range(5):
        bus.publish(_event(n))
    assert len(seen) == 5 and bus.dropped == 2  # local handlers still run; the queue is bounded
    await bus.stop()
