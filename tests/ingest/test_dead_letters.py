"""The dead-letter store and service, on both backends: record, list, show, replay, purge; and
the property MQTT redelivery relies on: a repeated reading is stored once."""

from __future__ import annotations

import orjson
import pytest

from cityioc.core.clock import FakeClock, iso_ms
from cityioc.core.errors import BadRequestData, Conflict, ResourceNotFound
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.ingest import dead_letters
from cityioc.ingest.dead_letters import DeadLetterFilter, mqtt_replayer
from cityioc.ingest.mqtt_batch import Message, letter_for
from cityioc.ingest.mqtt_topics import MessageRules, Reason
from cityioc.store.port import SeriesKey, Store

RULES = MessageRules()
TOPIC = "cityioc/default/AirQualityObserved/dl-1/attrs"
EID = "urn:ngsi-ld:AirQualityObserved:dl-1"
PM25 = core_context().expand_term("pm25")


def replayers(auto_create: bool = True) -> dict[str, dead_letters.Replayer]:
    return {"mqtt": mqtt_replayer(RULES, auto_create)}


async def samples(store: Store, eid: str = EID, attr: str = PM25) -> list[tuple[int, object]]:
    key = SeriesKey(eid, attr)
    found = await store.read_series("default", [key], None, None)
    if key not in found:
        return []
    data = found[key]
    return list(zip(data.times.tolist(), data.values, strict=True))


async def test_a_repeated_reading_is_stored_once_before_and_after_compaction(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    at = iso_ms(clock.now_ms() - 60_000)
    reading = {"entity": EID, "attribute": "pm25", "value": 12.0, "observedAt": at}
    for _ in range(2):
        assert (await hub.ingest_readings("default", [reading], "t")).accepted == 1
    assert len(await samples(store)) == 1
    await store.compact()
    await hub.ingest_readings("default", [reading], "t")  # a redelivery after compaction
    assert len(await samples(store)) == 1
    rollup = await store.read_rollups("default", SeriesKey(EID, PM25), 3_600_000, None, None)
    assert rollup.n.tolist() == [1]


async def test_record_list_filter_page_and_show(store: Store, clock: FakeClock) -> None:
    ids = []
    for i, reason in enumerate(["malformed_json", "unknown_entity", "malformed_json"]):
        ids.append(
            await dead_letters.record(
                store,
                tenant="default" if i < 2 else "other",
                source_kind="file" if i == 1 else "mqtt",
                source="tram.csv" if i == 1 else TOPIC,
                position=7 if i == 1 else None,
                reason=reason,
                detail=f"problem {i}",
                payload=b"\xff\x00raw" if i == 0 else "dòng 7",
                received_at=clock.now_ms() + i,
                client_id="w0" if i != 1 else None,
            )
        )
    page, total = await dead_letters.find(store, DeadLetterFilter())
    assert total == 3 and [d.id for d in page] == ids[::-1]  # newest first
    page, total = await dead_letters.find(store, DeadLetterFilter(reason="malformed_json"))
    assert total == 2
    page, total = await dead_letters.find(store, DeadLetterFilter(tenant="default", limit=1))
    assert total == 2 and [d.id for d in page] == [ids[1]]
    page, _ = await dead_letters.find(store, DeadLetterFilter(tenant="default", limit=1, offset=1))
    assert [d.id for d in page] == [ids[0]]
    page, total = await dead_letters.find(store, DeadLetterFilter(source_kind="file"))
    assert total == 1 and page[0].position == 7 and page[0].payload == "dòng 7".encode()
    first = await dead_letters.show(store, ids[0])
    assert first.payload == b"\xff\x00raw" and first.status == "new" and first.client_id == "w0"
    assert first.received_at == clock.now_ms() and first.source == TOPIC
    with pytest.raises(ResourceNotFound):
        await dead_letters.show(store, ids[0], tenant="other")
    with pytest.raises(ResourceNotFound):
        await dead_letters.show(store, 999_999)
    with pytest.raises(BadRequestData):
        await dead_letters.find(store, DeadLetterFilter(status="lost"))


async def test_a_fixed_message_replays_once_and_is_marked(store: Store, clock: FakeClock) -> None:
    hub = Hub(store, clock)
    message = Message(TOPIC, b'{"pm25": 12,', clock.now_ms(), "w0")
    [letter_id] = await dead_letters.record_many(
        store, [letter_for(message, Reason.malformed_json, "not JSON", RULES)]
    )
    outcome = await dead_letters.replay(
        store, hub, letter_id, replayers(), clock, actor="admin"
    )  # the stored payload is still broken
    assert not outcome.replayed and outcome.problems[0].startswith("malformed_json")
    assert (await dead_letters.show(store, letter_id)).status == "new"

    fixed = orjson.dumps({"pm25": 12, "pm10": 20})  # no observedAt: the receipt time is used
    outcome = await dead_letters.replay(
        store, hub, letter_id, replayers(), clock, actor="admin", payload=fixed
    )
    assert outcome.replayed and outcome.stored == 2
    clock.advance(minutes=5)
    letter = await dead_letters.show(store, letter_id)
    assert letter.status == "replayed" and letter.replayed_at is not None
    with pytest.raises(Conflict):
        await dead_letters.replay(store, hub, letter_id, replayers(), clock, actor="admin")
    await dead_letters.replay(
        store, hub, letter_id, replayers(), clock, actor="admin", payload=fixed, force=True
    )
    assert await samples(store) == [(message.received_at, 12.0)]  # once, at the receipt time


async def test_unknown_entity_replays_after_the_entity_exists(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    payload = orjson.dumps({"pm25": 3, "observedAt": iso_ms(clock.now_ms())})
    outcome = await dead_letters.replay(
        store,
        hub,
        (
            await dead_letters.record_many(
                store,
                [
                    letter_for(
                        Message(TOPIC, payload, clock.now_ms()), Reason.unknown_entity, "x", RULES
                    )
                ],
            )
        )[0],
        replayers(auto_create=False),
        clock,
        actor="admin",
    )
    assert not outcome.replayed and outcome.problems[0].startswith("unknown_entity")
    await hub.create("default", {"id": EID, "type": "AirQualityObserved"}, "admin")
    page, _ = await dead_letters.find(store, DeadLetterFilter(status="new"))
    outcome = await dead_letters.replay(
        store, hub, page[0].id, replayers(auto_create=False), clock, actor="admin"
    )
    assert outcome.replayed and len(await samples(store)) == 1


async def test_purge_drops_the_payload_and_keeps_the_record(store: Store, clock: FakeClock) -> None:
    hub = Hub(store, clock)
    ids = await dead_letters.record_many(
        store,
        [
            letter_for(Message(TOPIC, b"{", clock.now_ms()), Reason.malformed_json, "x", RULES)
            for _ in range(3)
        ],
    )
    assert await dead_letters.purge(store, ids[:2], clock) == 2
    purged = await dead_letters.show(store, ids[0])
    assert purged.status == "purged" and purged.payload == b""
    _, total = await dead_letters.find(store, DeadLetterFilter(status="new"))
    assert total == 1
    with pytest.raises(Conflict):
        await dead_letters.replay(store, hub, ids[0], replayers(), clock, actor="admin")
    with pytest.raises(BadRequestData):  # nothing left to send unless a corrected payload
        await dead_letters.replay(store, hub, ids[0], replayers(), clock, actor="a", force=True)


async def test_only_known_source_kinds_are_recorded_and_replayed(
    store: Store, clock: FakeClock
) -> None:
    with pytest.raises(BadRequestData):
        await dead_letters.record(
            store,
            tenant="default",
            source_kind="carrier-pigeon",
            source="x",
            reason="r",
            detail="d",
            payload=b"",
            received_at=0,
        )
    letter_id = await dead_letters.record(
        store,
        tenant="default",
        source_kind="http",
        source="/api/v1/readings",
        reason="r",
        detail="d",
        payload=b"[]",
        received_at=0,
    )
    with pytest.raises(BadRequestData):
        await dead_letters.replay(
            store, Hub(store, clock), letter_id, replayers(), clock, actor="a"
        )
