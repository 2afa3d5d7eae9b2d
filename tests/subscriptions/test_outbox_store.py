"""The subscription store and its outbox, per backend: atomic with the change, ordered, leased."""

from __future__ import annotations

import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, OutboxItem, StoredEntity
from cityioc.hub.service import Hub
from cityioc.store.port import AuditRecord, Store


def _item(n: int) -> OutboxItem:
    return OutboxItem("urn:ngsi-ld:Subscription:s", f"urn:x:{n}", "attributeUpdated", b"{}", n)


async def test_sequence_numbers_are_never_reused(store: Store) -> None:
    subs = store.subscriptions
    await subs.insert("default", "urn:ngsi-ld:Subscription:s", b"{}")
    await subs.enqueue("default", [_item(1), _item(2), _item(3)])
    first = await subs.pending("default", "urn:ngsi-ld:Subscription:s", 0, 10)
    await subs.delivered("default", "urn:ngsi-ld:Subscription:s", first[-1].seq, 10, 20)
    assert await subs.backlog() == 0
    await subs.enqueue("default", [_item(4), _item(5)])  # after the outbox was empty
    later = await subs.pending("default", "urn:ngsi-ld:Subscription:s", 0, 10)
    assert [r.entity_id for r in later] == ["urn:x:4", "urn:x:5"]
    assert later[0].seq > first[-1].seq
    await subs.delivered("default", "urn:ngsi-ld:Subscription:s", first[-1].seq, 30, 40)
    assert await subs.backlog() == 2  # delivering the old rows again deletes nothing new
    after = await subs.pending("default", "urn:ngsi-ld:Subscription:s", later[0].seq, 10)
    assert [r.entity_id for r in after] == ["urn:x:5"]


async def test_the_outbox_commits_or_rolls_back_with_the_change(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    hub.set_outbox_policy(lambda tenant, before, m, now: [_item(len(m.upserts))])
    await hub.create("default", {"id": "urn:x:1", "type": "T"}, "test")
    assert await store.subscriptions.backlog() == 1

    def create_second(_: object) -> Mutation:
        return Mutation(upserts=[StoredEntity("urn:x:2", ["T"], {}, 1, 1)])

    unstorable = AuditRecord(1, "test", "default", "create", "urn:x:2", {"bad": object()})
    with pytest.raises(TypeError):  # fails after the outbox rows were written
        await hub.apply("default", ["urn:x:2"], create_second, "test", [unstorable])
    assert await store.get_entities("default", ["urn:x:2"]) == {}
    assert await store.subscriptions.backlog() == 1


async def test_one_process_at_a_time_holds_a_subscription(store: Store) -> None:
    subs = store.subscriptions
    await subs.insert("default", "urn:ngsi-ld:Subscription:s", b"{}")
    await subs.enqueue("default", [_item(1)])
    assert await subs.claim_due(100, "a", 1000, 10) == [("default", "urn:ngsi-ld:Subscription:s")]
    assert await subs.claim_due(200, "b", 1000, 10) == []  # leased to a
    assert await subs.claim_due(1200, "b", 1000, 10) != []  # a's lease ran out
    await subs.failed("default", "urn:ngsi-ld:Subscription:s", 1300, 5000, "HTTP 500")
    assert await subs.claim_due(4000, "a", 1000, 10) == []  # backing off
    assert await subs.claim_due(5000, "a", 1000, 10) != []
    (record,) = await subs.load("default")
    assert (record.status.times_failed, record.status.consecutive_failures) == (1, 1)
    assert record.status.last_error == "HTTP 500"
