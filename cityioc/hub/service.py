"""Use cases of the city data hub (NGSI-LD context information management).

Names are already expanded by the caller (the web layer resolves @context); this module decides
what changes, the store applies it atomically, and every write records its actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cityioc.core.clock import Clock
from cityioc.core.errors import AlreadyExists, BadRequestData, CityError, ResourceNotFound
from cityioc.hub import operations as ops
from cityioc.hub.context import core_context
from cityioc.hub.grouped import GroupedWrites
from cityioc.hub.models import AttributeValue, Mutation, OutboxItem, StoredEntity
from cityioc.hub.readings import ReadingsResult, decide_readings, parse_readings
from cityioc.store.port import AuditRecord, Store

Listener = Callable[[str, str, Mutation], None]
# Given (tenant, entities before the write, the decided mutation, now): the notifications owed.
OutboxPolicy = Callable[[str, Mapping[str, StoredEntity], Mutation, int], list[OutboxItem]]


@dataclass(slots=True)
class BatchResult:
    success: list[str] = field(default_factory=list)
    errors: list[tuple[str, CityError]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # the successes that made a new entity


class Hub:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._listeners: list[Listener] = []
        self._outbox: OutboxPolicy | None = None
        # Writes of one entity that wait at the same time commit together (hub/grouped.py)
        self.grouped = GroupedWrites(self.apply)

    def set_outbox_policy(self, policy: OutboxPolicy) -> None:
        """Decide, inside each write's transaction, which notifications it owes (subscriptions)."""
        self._outbox = policy

    def on_change(self, listener: Listener) -> None:
        """Called after each committed write with (tenant, actor, mutation)."""
        self._listeners.append(listener)

    async def apply(
        self,
        tenant: str,
        ids: Sequence[str],
        decide: Callable[[Mapping[str, StoredEntity]], Mutation],
        actor: str,
        audit: Sequence[AuditRecord] = (),
    ) -> Mutation:
        policy = self._outbox
        if policy is not None:
            decide = _with_outbox(decide, policy, tenant, self.clock)
        mutation = await self.store.mutate(tenant, ids, decide, actor, audit)
        if mutation.upserts or mutation.deletes or mutation.samples:
            for listener in self._listeners:
                listener(tenant, actor, mutation)
        return mutation

    def _audit(self, tenant: str, actor: str, action: str, subject: str) -> list[AuditRecord]:
        return [AuditRecord(self.clock.now_ms(), actor, tenant, action, subject)]

    # --- single entities -------------------------------------------------------------------

    async def create(self, tenant: str, body: Any, actor: str) -> str:
        new = ops.parse_entity(body)
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            if new.id in current:
                raise AlreadyExists(f"entity {new.id} already exists")
            return Mutation(
                upserts=[ops.created(new, now, actor)],
                samples=ops.samples_for(new.id, new.attrs, now),
            )

        await self.grouped.apply(
            tenant, [new.id], decide, actor, self._audit(tenant, actor, "create", new.id)
        )
        return new.id

    async def get(self, tenant: str, eid: str) -> StoredEntity:
        found = await self.store.get_entities(tenant, [eid])
        if eid not in found:
            raise ResourceNotFound(f"entity {eid} does not exist")
        return found[eid]

    async def replace(self, tenant: str, eid: str, body: Any, actor: str) -> None:
        body = {**body, "id": eid} if isinstance(body, dict) else body
        new = ops.parse_entity(body, require_type=False)
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            old = ops.require(current, eid)
            entity = StoredEntity(
                eid,
                new.types or old.types,
                dict(new.attrs),
                old.created_at,
                now,
                old.created_by,
                actor,
            )
            return Mutation(upserts=[entity], samples=ops.samples_for(eid, new.attrs, now))

        await self.grouped.apply(
            tenant, [eid], decide, actor, self._audit(tenant, actor, "replace", eid)
        )

    async def merge(self, tenant: str, eid: str, body: Any, actor: str) -> None:
        body = {**body, "id": eid} if isinstance(body, dict) else body
        fragment = ops.parse_entity(body, require_type=False)
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            entity = ops.require(current, eid)
            written = ops.merge_entity(entity, fragment)
            return Mutation(
                upserts=[ops.touched(entity, now, actor)],
                samples=ops.samples_for(eid, written, now),
            )

        await self.grouped.apply(
            tenant, [eid], decide, actor, self._audit(tenant, actor, "merge", eid)
        )

    async def delete(self, tenant: str, eid: str, actor: str) -> None:
        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            ops.require(current, eid)
            return Mutation(deletes=[eid])

        await self.grouped.apply(
            tenant, [eid], decide, actor, self._audit(tenant, actor, "delete", eid)
        )

    # --- attributes ------------------------------------------------------------------------

    async def append_attrs(
        self, tenant: str, eid: str, body: Any, actor: str, *, no_overwrite: bool = False
    ) -> ops.AttrOutcome:
        attrs = _attrs_of(body)
        now = self.clock.now_ms()
        outcome = ops.AttrOutcome()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            nonlocal outcome
            entity = ops.require(current, eid)
            outcome, written = ops.append_attrs(entity, attrs, no_overwrite=no_overwrite)
            return _written(entity, written, now, actor)

        await self.grouped.apply(tenant, [eid], decide, actor)
        return outcome

    async def update_attrs(self, tenant: str, eid: str, body: Any, actor: str) -> ops.AttrOutcome:
        attrs = _attrs_of(body)
        now = self.clock.now_ms()
        outcome = ops.AttrOutcome()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            nonlocal outcome
            entity = ops.require(current, eid)
            outcome, written = ops.update_attrs(entity, attrs)
            return _written(entity, written, now, actor)

        await self.grouped.apply(tenant, [eid], decide, actor)
        return outcome

    async def patch_attr(self, tenant: str, eid: str, name: str, body: Any, actor: str) -> None:
        if not isinstance(body, dict):
            raise BadRequestData("an attribute fragment must be a JSON object")
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            entity = ops.require(current, eid)
            written = ops.patch_attr(entity, name, body)
            return _written(entity, {name: written}, now, actor)

        await self.grouped.apply(tenant, [eid], decide, actor)

    async def replace_attr(self, tenant: str, eid: str, name: str, body: Any, actor: str) -> None:
        attrs = _attrs_of({name: body})
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            entity = ops.require(current, eid)
            if name not in entity.doc:
                raise ResourceNotFound(f"attribute {name} does not exist on {eid}")
            _, written = ops.append_attrs(entity, attrs, no_overwrite=False)
            return _written(entity, written, now, actor)

        await self.grouped.apply(tenant, [eid], decide, actor)

    async def delete_attr(
        self,
        tenant: str,
        eid: str,
        name: str,
        actor: str,
        *,
        dataset_id: str | None = None,
        delete_all: bool = False,
    ) -> None:
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            entity = ops.require(current, eid)
            ops.delete_attr(entity, name, dataset_id, delete_all)
            return Mutation(upserts=[ops.touched(entity, now, actor)])

        await self.grouped.apply(
            tenant, [eid], decide, actor, self._audit(tenant, actor, "delete-attribute", eid)
        )

    # --- readings (the bulk path shared by HTTP, MQTT, file import and the simulator) --------

    async def ingest_readings(
        self,
        tenant: str,
        items: Sequence[Any],
        actor: str,
        *,
        auto_create: bool = True,
        known_errors: Sequence[tuple[int, CityError]] = (),
    ) -> ReadingsResult:
        """Store the good readings in one commit; report each bad one by its index.

        ``known_errors`` are items the caller already found bad (e.g. a line that is not JSON);
        they are skipped and reported with the rest. Returns only after the commit.
        """
        skip = {i for i, _ in known_errors}
        now = self.clock.now_ms()
        core = core_context()
        good, invalid = parse_readings(items, core.expand_term, core.expand_type, now)
        good = [(i, r) for i, r in good if i not in skip]
        result = ReadingsResult(errors=[*known_errors, *(e for e in invalid if e[0] not in skip)])
        if good:
            ids = list(dict.fromkeys(r.entity_id for _, r in good))
            decide = decide_readings(good, result, now, actor, auto_create=auto_create)
            await self.apply(tenant, ids, decide, actor)
        result.errors.sort(key=lambda e: e[0])
        return result

    # --- batch -----------------------------------------------------------------------------

    async def batch(
        self, tenant: str, op: str, bodies: Any, actor: str, options: str = ""
    ) -> BatchResult:
        """entityOperations/create|upsert|update|merge|delete, with per-entity results."""
        if not isinstance(bodies, list):
            raise BadRequestData("a batch operation takes a JSON array")
        result = BatchResult()
        parsed: list[ops.NewEntity] = []
        if op == "delete":
            ids = []
            for item in bodies:
                if isinstance(item, str) and ops.is_uri(item):
                    ids.append(item)
                else:
                    result.errors.append((str(item), BadRequestData("an entity id must be a URI")))
        else:
            for body in bodies:
                try:
                    parsed.append(ops.parse_entity(body, require_type=op in ("create", "upsert")))
                except CityError as err:
                    eid = body.get("id") if isinstance(body, dict) else None
                    result.errors.append((str(eid), err))
            ids = [p.id for p in parsed]
        now = self.clock.now_ms()
        decide = _batch_decider(op, parsed, ids, options, now, actor, result)
        await self.apply(
            tenant,
            ids,
            decide,
            actor,
            [AuditRecord(now, actor, tenant, f"batch-{op}", eid) for eid in ids]
            if op in ("delete", "create")
            else [],
        )
        return result


def _with_outbox(
    decide: Callable[[Mapping[str, StoredEntity]], Mutation],
    policy: OutboxPolicy,
    tenant: str,
    clock: Clock,
) -> Callable[[Mapping[str, StoredEntity]], Mutation]:
    def decide_and_notify(current: Mapping[str, StoredEntity]) -> Mutation:
        mutation = decide(current)
        mutation.outbox = policy(tenant, current, mutation, clock.now_ms())
        return mutation

    return decide_and_notify


def _batch_decider(
    op: str,
    parsed: list[ops.NewEntity],
    ids: list[str],
    options: str,
    now: int,
    actor: str,
    result: BatchResult,
) -> Callable[[Mapping[str, StoredEntity]], Mutation]:
    earlier_errors = list(result.errors)

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        # The store may run a decision more than once (a retried transaction): start afresh.
        result.success.clear()
        result.created.clear()
        result.errors[:] = earlier_errors
        mutation = Mutation()
        state = dict(current)  # later items in the same batch see earlier ones
        written: dict[str, StoredEntity] = {}
        if op == "delete":
            for eid in ids:
                if eid in state:
                    mutation.deletes.append(eid)
                    del state[eid]
                    result.success.append(eid)
                else:
                    result.errors.append((eid, ResourceNotFound(f"entity {eid} does not exist")))
            return mutation
        for new in parsed:
            try:
                entity, attrs = _apply_batch_item(op, new, state.get(new.id), options, now, actor)
            except CityError as err:
                result.errors.append((new.id, err))
                continue
            if new.id not in state:
                result.created.append(new.id)
            state[new.id] = written[new.id] = entity
            mutation.samples += ops.samples_for(new.id, attrs, now)
            result.success.append(new.id)
        mutation.upserts = list(written.values())
        return mutation

    return decide


def _apply_batch_item(
    op: str, new: ops.NewEntity, old: StoredEntity | None, options: str, now: int, actor: str
) -> tuple[StoredEntity, Mapping[str, AttributeValue]]:
    if op == "create":
        if old is not None:
            raise AlreadyExists(f"entity {new.id} already exists")
        return ops.created(new, now, actor), new.attrs
    if op == "upsert" and old is None:
        return ops.created(new, now, actor), new.attrs
    if old is None:
        raise ResourceNotFound(f"entity {new.id} does not exist")
    if op == "upsert" and options != "update":
        entity = StoredEntity(
            new.id, new.types, dict(new.attrs), old.created_at, now, old.created_by, actor
        )
        return entity, new.attrs
    if op == "merge":
        written = ops.merge_entity(old, new)
        return ops.touched(old, now, actor), written
    ops.merge_types(old, new.types)
    _, written = ops.append_attrs(old, new.attrs, no_overwrite=options == "noOverwrite")
    return ops.touched(old, now, actor), written


def _attrs_of(body: Any) -> dict[str, AttributeValue]:
    if not isinstance(body, dict):
        raise BadRequestData("attributes must be sent as a JSON object")
    attrs = ops.parse_attrs(body)
    if not attrs:
        raise BadRequestData("no attributes were given")
    return attrs


def _written(
    entity: StoredEntity, written: Mapping[str, AttributeValue], now: int, actor: str
) -> Mutation:
    if not written:
        return Mutation()
    return Mutation(
        upserts=[ops.touched(entity, now, actor)],
        samples=ops.samples_for(entity.id, written, now),
        partial=True,
    )
