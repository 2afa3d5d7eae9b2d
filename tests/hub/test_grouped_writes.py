"""Grouped writes: a lone write goes alone, concurrent ones commit together, each keeps its own
mutation, audit and failure, and a write naming an entity already in the group waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from cityioc.core.clock import FakeClock
from cityioc.core.errors import BadRequestData
from cityioc.hub.grouped import GroupedWrites
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.service import Hub
from cityioc.store.port import AuditRecord, Store

T = "tenant-g"
PROP = "https://example.org/count"


def counter_write(
    eid: str, seen: list[int | None], audit: list[AuditRecord], clock: FakeClock
) -> tuple[list[str], object]:
    """A write that creates ``eid`` with count 1 or adds one to it, noting what it saw."""

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        audit.clear()
        now = clock.now_ms()
        found = current.get(eid)
        before = found.doc[PROP]["value"] if found is not None else None  # type: ignore[call-overload]
        seen.append(before)
        count = (before or 0) + 1
        entity = StoredEntity(
            eid, ["Counter"], {PROP: {"type": "Property", "value": count}}, now, now, "a", "a"
        )
        audit.append(AuditRecord(now, "a", T, "count", eid, {"to": count}))
        return Mutation(upserts=[entity])

    return [eid], decide


async def apply_counter(
    writes: GroupedWrites, eid: str, clock: FakeClock, seen: list[int | None] | None = None
) -> Mutation:
    audit: list[AuditRecord] = []
    ids, decide = counter_write(eid, seen if seen is not None else [], audit, clock)
    return await writes.apply(T, ids, decide, "a", audit)  # type: ignore[arg-type]


async def test_a_lone_write_goes_alone(store: Store, clock: FakeClock) -> None:
    writes = GroupedWrites(Hub(store, clock).apply)
    mutation = await apply_counter(writes, "urn:c:1", clock)
    assert [e.id for e in mutation.upserts] == ["urn:c:1"]
    assert (writes.groups, writes.writes) == (1, 1)


async def test_concurrent_writes_commit_together_each_with_its_own_part(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    committed: list[int] = []
    hub.on_change(lambda tenant, actor, m: committed.append(len(m.upserts)))
    writes = GroupedWrites(hub.apply)
    ids = [f"urn:c:{i}" for i in range(20)]
    mutations = await asyncio.gather(*(apply_counter(writes, eid, clock) for eid in ids))
    assert [[e.id for e in m.upserts] for m in mutations] == [[eid] for eid in ids]
    # all came before the drain's first step: one transaction
    assert committed == [20]
    assert (writes.groups, writes.writes) == (1, 20)
    # a lone write goes at once; what comes while it is written goes together next
    first = asyncio.ensure_future(apply_counter(writes, "urn:c:first", clock))
    await asyncio.sleep(0)  # the drain has started writing it
    rest = [apply_counter(writes, f"urn:c:next{i}", clock) for i in range(5)]
    await asyncio.gather(first, *rest)
    assert committed == [20, 1, 5]
    for eid in ids:
        assert [r.action for r in await store.audit_trail(T, eid, 10)] == ["count"]


async def test_a_write_naming_an_entity_of_the_group_waits_for_it(
    store: Store, clock: FakeClock
) -> None:
    writes = GroupedWrites(Hub(store, clock).apply)
    seen: list[int | None] = []
    await asyncio.gather(*(apply_counter(writes, "urn:c:same", clock, seen) for _ in range(5)))
    assert seen == [None, 1, 2, 3, 4]  # each saw the one before it: nothing lost
    found = await store.get_entities(T, ["urn:c:same"])
    assert found["urn:c:same"].doc[PROP]["value"] == 5  # type: ignore[call-overload]


async def test_one_failing_write_fails_alone(store: Store, clock: FakeClock) -> None:
    writes = GroupedWrites(Hub(store, clock).apply)

    def refuse(current: Mapping[str, StoredEntity]) -> Mutation:
        raise BadRequestData("not this one")

    results = await asyncio.gather(
        apply_counter(writes, "urn:c:a", clock),
        apply_counter(writes, "urn:c:b", clock),
        writes.apply(T, ["urn:c:bad"], refuse, "a"),
        apply_counter(writes, "urn:c:c", clock),
        return_exceptions=True,
    )
    assert isinstance(results[2], BadRequestData)
    found = await store.get_entities(T, ["urn:c:a", "urn:c:b", "urn:c:c", "urn:c:bad"])
    assert sorted(found) == ["urn:c:a", "urn:c:b", "urn:c:c"]
    for eid in ("urn:c:b", "urn:c:c"):  # written alone after the group failed: audited once
        assert len(await store.audit_trail(T, eid, 10)) == 1


@pytest.mark.parametrize("n", [250])
async def test_groups_are_bounded(store: Store, clock: FakeClock, n: int) -> None:
    writes = GroupedWrites(Hub(store, clock).apply, max_group=100)
    await asyncio.gather(*(apply_counter(writes, f"urn:c:{i}", clock) for i in range(n)))
    assert writes.writes == n
    assert writes.groups == 3  # 100 + 100 + 50


async def test_concurrent_patches_through_the_hub_commit_together(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    ids = [f"urn:ngsi-ld:Counter:{i}" for i in range(12)]
    for eid in ids:
        await hub.create(
            T, {"id": eid, "type": "Counter", PROP: {"type": "Property", "value": 0}}, "a"
        )
    committed: list[int] = []
    hub.on_change(lambda tenant, actor, m: committed.append(len(m.upserts)))
    body = {PROP: {"type": "Property", "value": 7}}
    await asyncio.gather(*(hub.update_attrs(T, eid, body, "b") for eid in ids))
    assert sum(committed) == 12
    assert len(committed) < 12  # fewer commits than writes
    found = await store.get_entities(T, ids)
    assert {found[eid].doc[PROP]["value"] for eid in ids} == {7}  # type: ignore[call-overload]
    assert {found[eid].modified_by for eid in ids} == {"b"}  # each write still its actor's
