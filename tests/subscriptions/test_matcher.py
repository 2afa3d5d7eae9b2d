"""Which subscriptions a change concerns: selectors, watched attributes, q, geoQ, triggers,
throttling, pause and expiry — decided without I/O."""

from __future__ import annotations

from typing import Any

import orjson

from cityioc.hub.context import core_context
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.subscriptions.document import new_subscription
from cityioc.subscriptions.matcher import SubscriptionIndex, compile_subscription, decode_entity

CORE = core_context()
AQ = "urn:ngsi-ld:AirQualityObserved:"
NOW = 1_800_000_000_000


def _index(**fields: Any) -> SubscriptionIndex:
    body = {
        "id": "urn:ngsi-ld:Subscription:s1",
        "entities": [{"type": "AirQualityObserved"}],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:1/n"}},
        **fields,
    }
    sub = new_subscription(body, CORE, None, NOW - 1000, "test")
    index = SubscriptionIndex()
    index.replace("default", [compile_subscription(sub)])
    return index


def _entity(
    n: int, pm25: float, lon: float = 106.65, etype: str = "AirQualityObserved"
) -> StoredEntity:
    doc: dict[str, Any] = {
        CORE.expand_term("pm25"): {"type": "Property", "value": pm25},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [lon, 10.98]},
        },
    }
    return StoredEntity(f"urn:ngsi-ld:{etype}:{n}", [CORE.expand_type(etype)], doc, 1, NOW)


def _update(entity: StoredEntity, *attrs: str) -> tuple[dict[str, StoredEntity], Mutation]:
    samples = [Sample(entity.id, CORE.expand_term(a), NOW, 1.0) for a in attrs]
    return {entity.id: entity}, Mutation(upserts=[entity], samples=samples)


def _ids(
    index: SubscriptionIndex, before: dict[str, StoredEntity], mutation: Mutation, now: int = NOW
) -> list[tuple[str, str]]:
    return [(i.entity_id, i.trigger) for i in index.match("default", before, mutation, now)]


def test_a_tenant_without_subscriptions_costs_nothing() -> None:
    before, mutation = _update(_entity(1, 60), "pm25")
    assert SubscriptionIndex().match("default", before, mutation, NOW) == []
    assert _index().match("other-tenant", before, mutation, NOW) == []


def test_creation_and_updates_by_type() -> None:
    index = _index()
    created = _entity(1, 60)
    assert _ids(index, {}, Mutation(upserts=[created])) == [(created.id, "entityCreated")]
    before, mutation = _update(created, "pm25")
    assert _ids(index, before, mutation) == [(created.id, "attributeUpdated")]
    other = _entity(2, 60, etype="WeatherObserved")
    assert _ids(index, *_update(other, "pm25")) == []


def test_an_upsert_that_changes_nothing_is_not_notified() -> None:
    entity = _entity(1, 60)
    assert _ids(_index(), {entity.id: entity}, Mutation(upserts=[entity])) == []


def test_id_and_id_pattern_selectors() -> None:
    index = _index(
        entities=[
            {"type": "AirQualityObserved", "id": f"{AQ}1"},
            {"type": "AirQualityObserved", "idPattern": ".*:2[0-9]$"},
        ]
    )
    assert [e for e, _ in _ids(index, *_update(_entity(1, 1), "pm25"))] == [f"{AQ}1"]
    assert [e for e, _ in _ids(index, *_update(_entity(25, 1), "pm25"))] == [f"{AQ}25"]
    assert _ids(index, *_update(_entity(3, 1), "pm25")) == []


def test_watched_attributes() -> None:
    index = _index(watchedAttributes=["pm25"])
    entity = _entity(1, 60)
    assert _ids(index, *_update(entity, "pm10")) == []
    assert len(_ids(index, *_update(entity, "pm10", "pm25"))) == 1


def test_q_and_geo_q() -> None:
    index = _index(
        q="pm25>50",
        geoQ={
            "geometry": "Point",
            "coordinates": [106.65, 10.98],
            "georel": "near;maxDistance==1000",
        },
    )
    assert len(_ids(index, *_update(_entity(1, 60), "pm25"))) == 1
    assert _ids(index, *_update(_entity(1, 40), "pm25")) == []  # q fails
    assert _ids(index, *_update(_entity(1, 60, lon=106.70), "pm25")) == []  # 5 km away


def test_throttling_drops_notifications_within_the_period() -> None:
    index = _index(throttling=60)
    entity = _entity(1, 60)
    assert len(_ids(index, *_update(entity, "pm25"), now=NOW)) == 1
    assert _ids(index, *_update(entity, "pm25"), now=NOW + 59_000) == []
    assert len(_ids(index, *_update(entity, "pm25"), now=NOW + 61_000)) == 1


def test_paused_and_expired_subscriptions_are_silent() -> None:
    assert _ids(_index(isActive=False), *_update(_entity(1, 60), "pm25")) == []
    expiring = _index(expiresAt="2027-02-01T00:00:00Z")
    assert _ids(expiring, *_update(_entity(1, 60), "pm25"), now=NOW) != []
    assert _ids(expiring, *_update(_entity(1, 60), "pm25"), now=NOW + 10**11) == []


def test_deletion_only_when_asked() -> None:
    entity = _entity(1, 60)
    deleted = Mutation(deletes=[entity.id])
    assert _ids(_index(), {entity.id: entity}, deleted) == []
    index = _index(notificationTrigger=["entityDeleted"])
    items = index.match("default", {entity.id: entity}, deleted, NOW)
    assert [(i.entity_id, i.trigger) for i in items] == [(entity.id, "entityDeleted")]
    assert decode_entity(items[0].snapshot).types == entity.types


def test_the_snapshot_is_the_committed_state() -> None:
    entity = _entity(1, 60)
    (item,) = _index().match("default", *_update(entity, "pm25"), NOW)
    entity.doc.clear()  # later changes do not alter what is owed
    pm25 = decode_entity(item.snapshot).doc[CORE.expand_term("pm25")]
    assert isinstance(pm25, dict) and pm25["value"] == 60
    assert orjson.loads(item.snapshot)["id"] == entity.id


def test_several_types_and_no_type_at_all() -> None:
    both = _index(
        entities=[
            {"type": "AirQualityObserved"},
            {"type": "WeatherObserved"},
            {"type": "AirQualityObserved", "id": f"{AQ}1"},
        ]
    )
    assert len(_ids(both, *_update(_entity(1, 1), "pm25"))) == 1  # once, not per selector
    assert len(_ids(both, *_update(_entity(2, 1, etype="WeatherObserved"), "pm25"))) == 1
    sub = new_subscription(
        {
            "watchedAttributes": ["pm25"],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:1/n"}},
        },
        CORE,
        None,
        NOW,
        "test",
    )
    index = SubscriptionIndex()
    index.replace("default", [compile_subscription(sub)])
    assert len(_ids(index, *_update(_entity(3, 1, etype="NoiseLevelObserved"), "pm25"))) == 1
    assert _ids(index, *_update(_entity(3, 1, etype="NoiseLevelObserved"), "pm10")) == []
