"""Rules as data: ``AlertRule`` entities in the hub, one per rule, per tenant.

Being entities, rules reach every server process through the bus (each engine reloads the tenant's
rules when one changes), keep a history, and can be read with NGSI-LD. The document itself is the
``ruleDefinition`` Property; ``name``/``alternateName`` and ``enabled`` are copied beside it for
queries. Writes are validated here, audited, and attributed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cityioc.alerts.names import ALERT_RULE, RULE_PREFIX, N
from cityioc.alerts.rules.conditions import current_value
from cityioc.alerts.rules.model import Rule, RuleBase, describe, parse_rule, problems, rule_document
from cityioc.core.clock import Clock
from cityioc.core.errors import AlreadyExists, BadRequestData, ResourceNotFound
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.hub.service import Hub
from cityioc.store.port import AuditRecord, EntityQuery

PAGE = 500


@dataclass(frozen=True, slots=True)
class RuleRecord:
    id: str
    document: dict[str, Any]
    rule: Rule | None  # None: the stored document is not (or no longer) a valid rule
    problems: list[str]
    modified_at: int
    modified_by: str


@dataclass(slots=True)
class RuleSync:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # edited by someone else since the pack wrote them: left as they are


def validate(document: Any) -> Rule:
    """A rule from its document; raises BadRequestData listing every problem."""
    try:
        return parse_rule(document)
    except ValidationError as err:
        found = "; ".join(f"{describe(loc)}: {text}" for loc, text in problems(err))
        raise BadRequestData(f"invalid rule: {found}") from err


def record_of(entity: StoredEntity) -> RuleRecord:
    document = current_value(entity.doc, N["ruleDefinition"])
    rule_id = entity.id.removeprefix(RULE_PREFIX)
    if not isinstance(document, dict):
        return RuleRecord(rule_id, {}, None, ["no ruleDefinition"], entity.modified_at, "")
    try:
        rule: Rule | None = parse_rule(document)
        found: list[str] = []
    except ValidationError as err:
        rule, found = None, [f"{describe(loc)}: {text}" for loc, text in problems(err)]
    return RuleRecord(rule_id, document, rule, found, entity.modified_at, entity.modified_by)


class RuleStore:
    def __init__(self, hub: Hub, clock: Clock) -> None:
        self.hub = hub
        self.clock = clock

    async def list(self, tenant: str) -> list[RuleRecord]:
        out: list[RuleRecord] = []
        offset = 0
        while True:
            page, _ = await self.hub.store.query_entities(
                tenant, EntityQuery(types=(ALERT_RULE,), limit=PAGE, offset=offset)
            )
            out += [record_of(e) for e in page]
            if len(page) < PAGE:
                return sorted(out, key=lambda r: r.id)
            offset += PAGE

    async def get(self, tenant: str, rule_id: str) -> RuleRecord:
        found = (await self.hub.store.get_entities(tenant, [RULE_PREFIX + rule_id])).get(
            RULE_PREFIX + rule_id
        )
        if found is None:
            raise ResourceNotFound(f"alert rule {rule_id} does not exist")
        return record_of(found)

    async def create(self, tenant: str, document: Any, actor: str) -> RuleRecord:
        rule = validate(document)
        await self._write(tenant, rule, actor, mode="create")
        return await self.get(tenant, rule.id)

    async def replace(self, tenant: str, rule_id: str, document: Any, actor: str) -> RuleRecord:
        if isinstance(document, dict):
            if document.get("id", rule_id) != rule_id:
                raise BadRequestData(f"the document's id {document['id']!r} is not {rule_id!r}")
            document = {**document, "id": rule_id}
        rule = validate(document)
        await self._write(tenant, rule, actor, mode="replace")
        return await self.get(tenant, rule.id)

    async def delete(self, tenant: str, rule_id: str, actor: str) -> None:
        eid = RULE_PREFIX + rule_id
        now = self.clock.now_ms()

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            if eid not in current:
                raise ResourceNotFound(f"alert rule {rule_id} does not exist")
            return Mutation(deletes=[eid])

        audit = [AuditRecord(now, actor, tenant, "rule-delete", eid)]
        await self.hub.apply(tenant, [eid], decide, actor, audit)

    async def sync(self, tenant: str, rules: Sequence[RuleBase], actor: str) -> RuleSync:
        """Write a pack's rules: new ones created, ones the pack wrote last updated when they
        differ, ones edited since by someone else kept (an admin's change survives a reload)."""
        counts = RuleSync()
        ids = [RULE_PREFIX + r.id for r in rules]
        current = await self.hub.store.get_entities(tenant, ids)
        for rule in rules:
            found = current.get(RULE_PREFIX + rule.id)
            if found is None:
                await self._write(tenant, rule, actor, mode="create")
                counts.created += 1
            elif found.modified_by != actor:
                counts.kept += 1
            elif current_value(found.doc, N["ruleDefinition"]) == rule_document(rule):
                counts.unchanged += 1
            else:
                await self._write(tenant, rule, actor, mode="replace")
                counts.updated += 1
        return counts

    async def _write(self, tenant: str, rule: RuleBase, actor: str, *, mode: str) -> None:
        eid = RULE_PREFIX + rule.id
        now = self.clock.now_ms()
        document = rule_document(rule)
        audit: list[AuditRecord] = []

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()
            old = current.get(eid)
            if mode == "create" and old is not None:
                raise AlreadyExists(f"alert rule {rule.id} already exists")
            if mode == "replace" and old is None:
                raise ResourceNotFound(f"alert rule {rule.id} does not exist")
            before = current_value(old.doc, N["ruleDefinition"]) if old is not None else None
            doc: dict[str, Any] = {
                N["name"]: {"type": "Property", "value": rule.name.vi},
                N["alternateName"]: {"type": "Property", "value": rule.name.en},
                N["ruleDefinition"]: {"type": "Property", "value": document},
                N["enabled"]: {"type": "Property", "value": rule.enabled},
            }
            created_at = old.created_at if old is not None else now
            created_by = old.created_by if old is not None else actor
            entity = StoredEntity(eid, [ALERT_RULE], doc, created_at, now, created_by, actor)
            action = "rule-create" if old is None else "rule-replace"
            detail = {"before": before, "after": document}
            audit.append(AuditRecord(now, actor, tenant, action, eid, detail))
            return Mutation(upserts=[entity])

        await self.hub.apply(tenant, [eid], decide, actor, audit)
