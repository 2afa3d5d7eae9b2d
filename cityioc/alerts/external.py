"""Alerts posted by other systems (camera analytics, partners) as plain NGSI-LD ``Alert`` entities.

The engine hands over every new ``Alert`` without lifecycle attributes. It is adopted: given
``status: active``, ``count``, ``firstSeen``/``lastSeen`` … — unless an alert with the same
``alertSource`` and ``subCategory`` is still active, in which case that one repeats (count + 1,
last seen) and the duplicate entity is deleted, its content kept in the audit record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from cityioc.alerts import entity as ent
from cityioc.alerts.names import ALERT, N
from cityioc.alerts.rules.conditions import current_value
from cityioc.alerts.service import Alerts, Outcome
from cityioc.core.clock import Clock, iso_ms, parse_datetime_ms
from cityioc.hub.context import core_context
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.query import QueryParams, run_query
from cityioc.hub.render import View, render
from cityioc.store.port import AuditRecord

log = logging.getLogger(__name__)
ACTOR = "alerts:adopt"
SEVERITIES = ("informational", "low", "medium", "high", "critical")


class Adopter:
    def __init__(self, alerts: Alerts, clock: Clock) -> None:
        self.alerts, self.clock = alerts, clock
        self._queue: dict[tuple[str, str], None] = {}

    @property
    def waiting(self) -> bool:
        return bool(self._queue)

    def enqueue(self, tenant: str, entity: StoredEntity) -> None:
        self._queue[(tenant, entity.id)] = None

    async def run(self) -> None:
        queue, self._queue = self._queue, {}
        for tenant, alert_id in queue:
            try:
                await self.adopt(tenant, alert_id)
            except Exception:  # one malformed alert must not stop the others
                log.exception("could not adopt alert %s", alert_id)

    async def adopt(self, tenant: str, alert_id: str) -> Outcome | None:
        store = self.alerts.hub.store
        found = (await store.get_entities(tenant, [alert_id])).get(alert_id)
        if found is None or ALERT not in found.types or N["status"] in found.doc:
            return None
        source, sub = (current_value(found.doc, N[t]) for t in ("alertSource", "subCategory"))
        twin = None
        if isinstance(source, str) and isinstance(sub, str) and '"' not in source + sub:
            q = f'alertSource=="{source}";subCategory=="{sub}";status=="active"'
            params = QueryParams(types=(ALERT,), q=q, limit=5)
            twins, _ = await run_query(store, tenant, params, core_context().expand_term)
            twin = next((t for t in twins if t.id != alert_id), None)
        if twin is not None:
            return await self._merge(tenant, twin.id, alert_id)
        return await self._adopt(tenant, alert_id)

    async def _adopt(self, tenant: str, alert_id: str) -> Outcome | None:
        now = self.clock.now_ms()
        audit: list[AuditRecord] = []
        result: list[Outcome | None] = [None]

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            found = current.get(alert_id)
            if found is None or N["status"] in found.doc:
                return Mutation()
            issued = current_value(found.doc, N["dateIssued"])
            at = iso_ms(_time(issued, now))
            values = {
                N["status"]: "active",
                N["acknowledged"]: False,
                N["count"]: 1,
                N["firstSeen"]: at,
                N["lastSeen"]: at,
                N["dateIssued"]: at,
                N["comments"]: [],
            }
            if current_value(found.doc, N["severity"]) not in SEVERITIES:
                values[N["severity"]] = "medium"
            changed = ent.change(found, values)
            detail = ent.audit_detail(changed)
            audit.append(AuditRecord(now, ACTOR, tenant, "alert-adopt", alert_id, detail))
            result[0] = Outcome(alert_id, "raised")
            found.modified_at, found.modified_by = now, ACTOR
            return Mutation(upserts=[found], samples=ent.samples(found, changed, now))

        mutation = await self.alerts.hub.apply(tenant, [alert_id], decide, ACTOR, audit)
        self.alerts._notify(tenant, mutation, result[0])
        return result[0]

    async def _merge(self, tenant: str, twin_id: str, duplicate_id: str) -> Outcome | None:
        now = self.clock.now_ms()
        audit: list[AuditRecord] = []
        result: list[Outcome | None] = [None]

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            twin, duplicate = current.get(twin_id), current.get(duplicate_id)
            if twin is None or duplicate is None or N["status"] in duplicate.doc:
                return Mutation()
            if ent.plain(twin, N["status"]) != "active":
                return Mutation()  # cleared meanwhile: adopt the new one on a next pass instead
            issued = _time(current_value(duplicate.doc, N["dateIssued"]), now)
            values = {
                N["count"]: int(ent.plain(twin, N["count"]) or 0) + 1,
                N["lastSeen"]: iso_ms(issued),
            }
            description = current_value(duplicate.doc, N["description"])
            if description is not None:
                values[N["description"]] = description
            changed = ent.change(twin, values)
            detail = ent.audit_detail(changed)
            body = core_context().compact_entity_keys(render(duplicate, View(form="keyValues")))
            detail["merged"] = body
            audit.append(AuditRecord(now, ACTOR, tenant, "alert-merge", twin_id, detail))
            result[0] = Outcome(twin_id, "repeated")
            twin.modified_at, twin.modified_by = now, ACTOR
            return Mutation(
                upserts=[twin], deletes=[duplicate_id], samples=ent.samples(twin, changed, now)
            )

        mutation = await self.alerts.hub.apply(
            tenant, [twin_id, duplicate_id], decide, ACTOR, audit
        )
        self.alerts._notify(tenant, mutation, result[0])
        if result[0] is None and mutation.upserts == []:
            return await self._adopt(tenant, duplicate_id)
        return result[0]


def _time(value: object, default: int) -> int:
    if isinstance(value, str):
        try:
            return parse_datetime_ms(value)
        except ValueError:
            return default
    return default
