"""How much work the engine does, not only what it decides: rules that only other attributes can
move are skipped, quiet rate rules keep no state of their own (the series' last reading is shared
and survives a restart), and a persist writes only what changed since the last one."""

from __future__ import annotations

from cityioc.alerts.engine_state import MODULE
from cityioc.alerts.rules.conditions import expand
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.store.port import Store
from tests.alerts.conftest import flood_station, make_rig
from tests.alerts.test_kinds import rule

LEVEL = expand("currentLevel")


def rising(rid: str = "rising", value: float = 0.3) -> dict[str, object]:
    return rule(rid, "rate", ["FloodMonitoring"], attribute="currentLevel", op=">",
                value=value, per="1h")  # fmt: skip


async def stored_keys(store: Store) -> set[str]:
    return {item.key for item in await store.module_state.state_list(MODULE, "default")}


def test_a_partial_write_names_the_attributes_it_changed() -> None:
    entity = StoredEntity("urn:a", ["T"], {}, 0, 0, "x", "x")
    samples = [
        Sample("urn:a", "p", 1, 1.0),
        Sample("urn:a", "q", 1, 2.0),
        Sample("urn:b", "p", 1, 0),
    ]
    partial = ChangeEvent.of("t", "x", Mutation(upserts=[entity], samples=samples, partial=True))
    assert partial.changed_attrs() == {"urn:a": {"p", "q"}, "urn:b": {"p"}}
    whole = ChangeEvent.of("t", "x", Mutation(upserts=[entity], samples=samples))
    assert whole.changed_attrs() is None  # e.g. a replace: other attributes may have gone


async def test_a_reading_of_another_attribute_does_not_meet_the_rule(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    geofence = rule("outside", "geofence", ["FloodMonitoring"], trigger="leave",
                    area={"center": [106.7, 10.9], "radius_m": 1000})  # fmt: skip
    rig = await make_rig(engine_store, fake_clock, [geofence])
    station = await flood_station(rig.hub, "st")
    await rig.engine.idle()
    states = rig.engine.memory.of("default").rule_states("outside")
    states.clear()
    await rig.reading(station, "currentLevel", 0.1)  # not the location: the rule is not met
    assert states == {}
    fence = next(r for r in rig.engine.book.rules("default") if r.id == "outside")
    assert fence.moved_by({LEVEL}) is False
    assert fence.moved_by({expand("location")}) is True
    assert fence.moved_by(None) is True


async def test_quiet_rate_rules_keep_no_state_and_the_last_reading_survives_a_restart(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [rising(), rising("steep", value=50)])
    station = await flood_station(rig.hub, "st")
    await rig.reading(station, "currentLevel", 0.0)
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.03)  # 0.18 m/h: neither rule holds
    memory = rig.engine.memory.of("default")
    assert memory.rule_states("rising") == {} and memory.rule_states("steep") == {}
    assert memory.lasts[(LEVEL, station)][1] == 0.03

    await rig.restart()  # the last reading is persisted: the next one has a rate at once
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.1)  # 0.42 m/h: "rising" holds, "steep" not
    [alert] = await rig.alerts_list()
    assert alert.rule is not None and alert.rule.endswith(":rising") and alert.active
    assert rig.engine.memory.of("default").rule_states("steep") == {}


async def test_a_persist_writes_only_what_changed(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [rising()])
    one = await flood_station(rig.hub, "one")
    two = await flood_station(rig.hub, "two")
    await rig.reading(one, "currentLevel", 0.0)
    await rig.reading(two, "currentLevel", 0.0)
    await rig.advance(1)  # a tick persists (persist_ms=0)
    assert {f"l|{LEVEL}|{one}", f"l|{LEVEL}|{two}"} <= await stored_keys(engine_store)
    engine = rig.engine
    assert engine.memory.collect(engine._versions()) == []  # nothing touched since

    await rig.reading(one, "currentLevel", 0.001)  # 0.06 m/h: quiet
    [collected] = engine.memory.collect(engine._versions())
    assert list(collected.put) == [f"l|{LEVEL}|{one}"] and collected.gone == []


async def test_changes_from_other_processes_are_evaluated_only_when_no_engine_saw_them(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [rising()])
    station = await rig.hub.get("default", await flood_station(rig.hub, "remote"))
    await rig.engine.idle()
    before = rig.engine.evaluated

    def remote(evaluated: bool) -> ChangeEvent:  # as decoded from NATS
        return ChangeEvent("default", "x", [station], evaluated=evaluated, local=False)

    rig.engine.handle(remote(evaluated=True))  # another server's engine evaluated it
    await rig.engine.idle()
    assert rig.engine.evaluated == before
    rig.engine.handle(remote(evaluated=False))  # an MQTT worker stored it: no engine there
    await rig.engine.idle()
    assert rig.engine.evaluated == before + 1
