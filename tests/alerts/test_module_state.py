"""store.module_state on both backends: batched upserts, reads, prefix listing, deletes."""

from __future__ import annotations

from cityioc.store.module_state import MemoryModuleState, ModuleStateStore, StateItem
from cityioc.store.port import Store


async def _exercise(state: ModuleStateStore) -> None:
    await state.state_put_many("alerts", "default", {"rule:a:x": {"since": 1}, "rule:b": [1]}, 10)
    await state.state_put_many("alerts", "other", {"rule:a:x": {"since": 2}}, 11)
    await state.state_put_many("incidents", "default", {"rule:a:x": "theirs"}, 12)
    assert await state.state_get_many("alerts", "default", ["rule:a:x", "nope"]) == {
        "rule:a:x": {"since": 1}
    }
    await state.state_put_many("alerts", "default", {"rule:a:x": {"since": 3, "v": "ẩm"}}, 13)
    assert await state.state_list("alerts", "default", "rule:a") == [
        StateItem("default", "rule:a:x", {"since": 3, "v": "ẩm"}, 13)
    ]
    everything = await state.state_list("alerts")
    assert [(i.tenant, i.key) for i in everything] == [
        ("default", "rule:a:x"),
        ("default", "rule:b"),
        ("other", "rule:a:x"),
    ]
    assert await state.state_list("alerts", prefix="rule:%") == []  # no LIKE wildcards
    assert await state.state_delete("alerts", "default", ["rule:b", "nope"]) == 1
    assert await state.state_get_many("alerts", "default", []) == {}
    many = {f"k{i:04d}": i for i in range(1500)}  # more than one SQL chunk
    await state.state_put_many("bulk", "default", many, 1)
    assert await state.state_get_many("bulk", "default", list(many)) == many
    assert await state.state_delete("bulk", "default", list(many)) == 1500


async def test_module_state_on_each_backend(store: Store) -> None:
    await _exercise(store.module_state)


async def test_module_state_in_memory() -> None:
    await _exercise(MemoryModuleState())


async def _exercise_lease(state: ModuleStateStore) -> None:
    assert await state.state_lease("alerts", "engine", "a", now=100, until=115)  # free: taken
    assert not await state.state_lease("alerts", "engine", "b", now=110, until=125)  # a holds it
    assert await state.state_lease("alerts", "engine", "a", now=112, until=127)  # a extends it
    assert not await state.state_lease("alerts", "engine", "b", now=126, until=141)
    assert await state.state_lease("alerts", "engine", "b", now=127, until=142)  # expired: b's
    assert not await state.state_lease("alerts", "engine", "a", now=130, until=145)
    assert await state.state_lease("alerts", "other", "a", now=130, until=145)  # another lease


async def test_a_lease_has_one_holder_on_each_backend(store: Store) -> None:
    await _exercise_lease(store.module_state)


async def test_a_lease_has_one_holder_in_memory() -> None:
    await _exercise_lease(MemoryModuleState())
