"""Incidents in the hub: read them, and change them atomically with their audit records.

Every change runs as a ``decide`` function inside the hub's write transaction (``Hub.apply``):
the current entity is read, the change applied to it, and the entity written together with an
``AuditRecord`` whose detail holds the changed attributes before and after. The store writes the
audit records after ``decide`` has run, so ``decide`` fills the list it was given (afresh on each
run: a retried transaction decides again).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cityioc.core.clock import Clock, from_ms
from cityioc.core.errors import AlreadyExists, ResourceNotFound
from cityioc.hub import operations as ops
from cityioc.hub.context import core_context
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.query import QueryParams, run_query
from cityioc.hub.service import Hub
from cityioc.incidents import codec
from cityioc.incidents.models import ID_PREFIX, Incident
from cityioc.store.port import AuditRecord

# A change mutates the incident and may add writes of other entities (e.g. the alert it links).
Change = Callable[[Incident, Mapping[str, StoredEntity]], list[StoredEntity] | None]


def new_id(clock: Clock) -> str:
    """``urn:ngsi-ld:Incident:20261125-3fa9c1``: the opening day (UTC) and a random part."""
    return f"{ID_PREFIX}{from_ms(clock.now_ms()):%Y%m%d}-{secrets.token_hex(3)}"


def audit_values(incident: Incident) -> dict[str, Any]:
    """The incident's attributes as plain values (what audit details compare)."""
    out: dict[str, Any] = {}
    for name, attr in codec.to_attributes(incident).items():
        for member in ("value", "object", "languageMap"):
            if member in attr:
                out[name] = attr[member]
                break
    return out


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = sorted(n for n in {*before, *after} if before.get(n) != after.get(n))
    return {
        "before": {n: before.get(n) for n in names},
        "after": {n: after.get(n) for n in names},
    }


class IncidentRepository:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._managed = codec.managed_expanded()

    @property
    def clock(self) -> Clock:
        return self.hub.clock

    async def get(self, tenant: str, iid: str) -> Incident:
        found = await self.hub.store.get_entities(tenant, [iid])
        entity = found.get(iid)
        if entity is None or codec.incident_type() not in entity.types:
            raise ResourceNotFound(f"incident {iid} does not exist")
        return codec.from_entity(entity)

    async def query(
        self, tenant: str, q: str | None, *, limit: int | None, offset: int = 0, count: bool = False
    ) -> tuple[list[Incident], int | None]:
        params = QueryParams(
            types=(codec.incident_type(),),
            q=q,
            limit=limit if limit is not None else 1_000_000,
            offset=offset,
            count=count,
        )
        entities, total = await run_query(
            self.hub.store, tenant, params, core_context().expand_term
        )
        return [codec.from_entity(e) for e in entities], total

    async def create(
        self,
        tenant: str,
        incident: Incident,
        actor: str,
        *,
        also: Sequence[str] = (),
        prepare: Change | None = None,
        action: str = "incident-create",
        records: Callable[[Incident, int], list[AuditRecord]] | None = None,
    ) -> Incident | None:
        """Write a new incident; ``prepare`` may fill it from other entities (``also``) or give
        up by raising. Returns None when ``prepare`` returned the sentinel ``[]`` meaning
        "nothing to do" (e.g. the alert already has its incident)."""
        audit: list[AuditRecord] = []
        result: dict[str, Incident] = {}

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            result.clear()
            if incident.id in current:
                raise AlreadyExists(f"incident {incident.id} already exists")
            fresh = copy.deepcopy(incident)
            extra = prepare(fresh, current) if prepare is not None else None
            if extra is not None and not extra:
                return Mutation()
            now = self.clock.now_ms()
            attrs = codec.expanded_attributes(fresh)
            entity = StoredEntity(
                fresh.id, [codec.incident_type()], dict(attrs), now, now, actor, actor
            )
            details = difference({}, audit_values(fresh))
            audit.append(AuditRecord(now, actor, tenant, action, fresh.id, details))
            if records is not None:
                audit.extend(records(fresh, now))
            upserts = [entity, *(extra or [])]
            samples = ops.samples_for(fresh.id, attrs, now)
            result["incident"] = fresh
            return Mutation(upserts=upserts, samples=samples)

        await self.hub.apply(tenant, [incident.id, *also], decide, actor, audit)
        return result.get("incident")

    async def change(
        self,
        tenant: str,
        iid: str,
        change: Change,
        actor: str,
        action: str | Callable[[], str],
        *,
        also: Sequence[str] = (),
        annotate: Callable[[], dict[str, Any]] | None = None,
        records: Callable[[Incident, int], list[AuditRecord]] | None = None,
    ) -> tuple[Incident, Incident]:
        """Apply ``change`` to the stored incident atomically; returns (before, after).

        ``action`` (or a function giving it once ``change`` ran) names the audit record, and
        ``annotate`` adds to its detail; ``records`` gives the audit records of the other
        entities ``change`` wrote. When nothing changed nothing is written.
        """
        audit: list[AuditRecord] = []
        result: dict[str, Incident] = {}

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            stored = current.get(iid)
            if stored is None or codec.incident_type() not in stored.types:
                raise ResourceNotFound(f"incident {iid} does not exist")
            before = codec.from_entity(stored)
            after = copy.deepcopy(before)
            extra = change(after, current) or []
            result["before"], result["after"] = before, after
            old, new = audit_values(before), audit_values(after)
            details = difference(old, new)
            if not details["before"] and not extra:
                return Mutation()
            now = self.clock.now_ms()
            attrs = codec.expanded_attributes(after)
            kept = {k: v for k, v in stored.doc.items() if k not in self._managed}
            entity = StoredEntity(
                iid,
                list(stored.types),
                {**kept, **attrs},
                stored.created_at,
                now,
                stored.created_by,
                actor,
            )
            expanded = core_context().expand_term
            changed = {expanded(n) for n in details["after"]}
            written = {k: v for k, v in attrs.items() if k in changed}
            if details["before"]:
                name = action if isinstance(action, str) else action()
                detail: dict[str, Any] = {**details, **(annotate() if annotate else {})}
                audit.append(AuditRecord(now, actor, tenant, name, iid, detail))
            if extra and records is not None:
                audit.extend(records(after, now))
            return Mutation(
                upserts=[entity, *extra] if details["before"] else list(extra),
                samples=ops.samples_for(iid, written, now),
            )

        await self.hub.apply(tenant, [iid, *also], decide, actor, audit)
        return result["before"], result["after"]
