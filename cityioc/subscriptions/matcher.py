"""Which subscriptions a committed change concerns, decided inside the write's transaction.

The matcher runs where the store decides a mutation (SQLite's writer thread, or the PostgreSQL
transaction), so it must be cheap: subscriptions are compiled once (selectors, ``q`` predicate,
geo-query) and indexed by entity type, and a tenant without subscriptions costs one dict lookup.
The notifications it owes go into the same transaction (the outbox): a commit without its
notifications cannot happen, and neither can a notification for a change that rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from cityioc.hub.context import core_context
from cityioc.hub.geoquery import GeoQuery, geoquery_from_geoq
from cityioc.hub.models import Mutation, OutboxItem, StoredEntity
from cityioc.hub.qlang import Predicate, compile_predicate, parse_q
from cityioc.hub.visibility import Visibility
from cityioc.subscriptions.models import Subscription

ANY_TYPE = "*"
_UPDATES = frozenset({"attributeCreated", "attributeUpdated", "entityUpdated"})


@dataclass(slots=True, eq=False)  # identity: held in sets and dict keys
class CompiledSubscription:
    sub: Subscription
    ids: frozenset[str] | None  # None: any id
    patterns: tuple[re.Pattern[str], ...]
    watched: frozenset[str]
    triggers: frozenset[str]
    predicate: Predicate | None
    geo: GeoQuery | None
    last_sent: int = field(default=-(2**62))  # for throttling, in this process

    def selects(self, entity: StoredEntity, types: Iterable[str]) -> bool:
        if self.ids is None and not self.patterns:
            return True
        if self.ids is not None and entity.id in self.ids:
            return True
        return any(p.fullmatch(entity.id) for p in self.patterns)


def compile_subscription(
    sub: Subscription, resolve: Callable[[str], str] | None = None
) -> CompiledSubscription:
    """``resolve`` maps the q terms of the subscription's @context to stored names."""
    expand = resolve or core_context().expand_term
    ids = {s.id for s in sub.entities if s.id}
    patterns = tuple(re.compile(s.id_pattern) for s in sub.entities if s.id_pattern)
    any_id = any(s.id is None and s.id_pattern is None for s in sub.entities) or not sub.entities
    predicate = compile_predicate(parse_q(sub.q), expand) if sub.q else None
    return CompiledSubscription(
        sub=sub,
        ids=None if any_id else frozenset(ids),
        patterns=() if any_id else patterns,
        watched=frozenset(sub.watched),
        triggers=frozenset(sub.triggers),
        predicate=predicate,
        geo=geoquery_from_geoq(sub.geoq) if sub.geoq else None,
    )


class SubscriptionIndex:
    """Compiled subscriptions per tenant and type; replaced whole, never edited in place, so the
    writer thread always sees a consistent set."""

    def __init__(self, visibility: Visibility | None = None) -> None:
        self._by_tenant: dict[str, dict[str, tuple[CompiledSubscription, ...]]] = {}
        self.visibility = visibility or Visibility()

    def replace(self, tenant: str, subs: Iterable[CompiledSubscription]) -> None:
        by_type: dict[str, list[CompiledSubscription]] = {}
        for c in subs:
            types = {s.type for s in c.sub.entities} or {ANY_TYPE}
            for t in types:
                by_type.setdefault(t, []).append(c)
        if by_type:
            self._by_tenant = {**self._by_tenant, tenant: {k: tuple(v) for k, v in by_type.items()}}
        else:
            self._by_tenant = {k: v for k, v in self._by_tenant.items() if k != tenant}

    def readable(self, c: CompiledSubscription, entity: StoredEntity) -> bool:
        """Whether the subscription's owner may read ``entity``."""
        return self.visibility.allows(c.sub.owner_role, c.sub.owner_agency, entity)

    def periodic(self) -> list[tuple[str, CompiledSubscription]]:
        """(tenant, subscription) of every ``timeInterval`` subscription."""
        found: list[tuple[str, CompiledSubscription]] = []
        for tenant, by_type in self._by_tenant.items():
            subs = dict.fromkeys(c for group in by_type.values() for c in group)
            found.extend((tenant, c) for c in subs if c.sub.time_interval_s is not None)
        return found

    def match(
        self, tenant: str, before: Mapping[str, StoredEntity], mutation: Mutation, now: int
    ) -> list[OutboxItem]:
        by_type = self._by_tenant.get(tenant)
        if not by_type:
            return []
        changed: dict[str, set[str]] = {}
        for sample in mutation.samples:
            changed.setdefault(sample.entity_id, set()).add(sample.attr)
        out: list[OutboxItem] = []
        for entity in mutation.upserts:
            created = entity.id not in before
            attrs = set(entity.doc) if created else changed.get(entity.id, set())
            if not created and not attrs:
                continue
            snapshot: bytes | None = None
            for c in _candidates(by_type, entity.types):
                trigger = _trigger(c, created, attrs, entity, now)
                if trigger is None or not self.readable(c, entity):
                    continue
                snapshot = snapshot or encode_entity(entity)
                c.last_sent = now
                out.append(OutboxItem(c.sub.id, entity.id, trigger, snapshot, now))
        for eid in mutation.deletes:
            gone = before.get(eid)
            if gone is None:
                continue
            for c in _candidates(by_type, gone.types):
                if (
                    "entityDeleted" in c.triggers
                    and _active(c, now)
                    and c.selects(gone, gone.types)
                    and self.readable(c, gone)
                ):
                    deleted = StoredEntity(gone.id, gone.types, {}, gone.created_at, now)
                    out.append(
                        OutboxItem(c.sub.id, eid, "entityDeleted", encode_entity(deleted), now)
                    )
        return out


def _candidates(
    by_type: Mapping[str, tuple[CompiledSubscription, ...]], types: Iterable[str]
) -> list[CompiledSubscription]:
    found: list[CompiledSubscription] = []
    for t in (*types, ANY_TYPE):
        found.extend(by_type.get(t, ()))
    return list(dict.fromkeys(found)) if len(found) > 1 else found


def _active(c: CompiledSubscription, now: int) -> bool:
    sub = c.sub
    return sub.active and (sub.expires_at is None or sub.expires_at > now)


def _trigger(
    c: CompiledSubscription, created: bool, attrs: set[str], entity: StoredEntity, now: int
) -> str | None:
    sub = c.sub
    if sub.time_interval_s is not None or not _active(c, now):
        return None
    if created:
        trigger = "entityCreated" if "entityCreated" in c.triggers else None
    elif c.triggers & _UPDATES:
        # Whether an attribute is new cannot be told cheaply here (writes edit the loaded entity in
        # place), so attributeCreated and attributeUpdated both fire on any attribute change.
        trigger = "entityUpdated" if "entityUpdated" in c.triggers else "attributeUpdated"
    else:
        trigger = None
    if trigger is None:
        return None
    if c.watched and not (c.watched & attrs):
        return None
    if not c.selects(entity, entity.types):
        return None
    if c.predicate is not None and not c.predicate(entity.doc):
        return None
    if c.geo is not None and not _within(c.geo, entity):
        return None
    if sub.throttling_s is not None and now - c.last_sent < sub.throttling_s * 1000:
        return None
    return trigger


def _within(geo: GeoQuery, entity: StoredEntity) -> bool:
    attr = entity.doc.get(geo.geoproperty)
    value = attr.get("value") if isinstance(attr, dict) else None
    return isinstance(value, dict) and geo.matches(value)


def encode_entity(entity: StoredEntity) -> bytes:
    return orjson.dumps(
        {
            "id": entity.id,
            "types": entity.types,
            "doc": entity.doc,
            "createdAt": entity.created_at,
            "modifiedAt": entity.modified_at,
        }
    )


def decode_entity(raw: bytes) -> StoredEntity:
    data = orjson.loads(raw)
    return StoredEntity(
        data["id"], data["types"], data["doc"], data["createdAt"], data["modifiedAt"]
    )
