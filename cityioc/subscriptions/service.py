"""Use cases of NGSI-LD subscriptions: create, read, list, update, delete — and keeping the
in-memory index the write path matches against in step with the database."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import orjson

from cityioc.core.clock import Clock
from cityioc.core.errors import ResourceNotFound
from cityioc.hub.context import ContextResolver
from cityioc.hub.context_active import ActiveContext
from cityioc.hub.models import Mutation
from cityioc.store.port import AuditRecord, Store, SubscriptionRecord
from cityioc.subscriptions.document import apply_fields, new_subscription
from cityioc.subscriptions.matcher import SubscriptionIndex, compile_subscription
from cityioc.subscriptions.models import Subscription

log = logging.getLogger(__name__)


class Subscriptions:
    def __init__(
        self, store: Store, clock: Clock, contexts: ContextResolver, index: SubscriptionIndex
    ) -> None:
        self.store = store
        self.clock = clock
        self.contexts = contexts
        self.index = index
        self._announce: Callable[[str, str], None] = lambda tenant, actor: None

    def on_changed(self, announce: Callable[[str, str], None]) -> None:
        """Called with (tenant, actor) after a subscription changed, to tell other processes."""
        self._announce = announce

    async def create(
        self,
        tenant: str,
        body: Any,
        ctx: ActiveContext,
        context: Any,
        actor: str,
        owner: tuple[str | None, str | None] = (None, None),
    ) -> str:
        """``owner``: the creator's (role, agency); notifications carry only what it may read."""
        sub = new_subscription(body, ctx, context, self.clock.now_ms(), actor, owner)
        await self.store.subscriptions.insert(tenant, sub.id, _encode(sub))
        await self._audit(tenant, actor, "create-subscription", sub.id)
        await self._changed(tenant, actor)
        return sub.id

    async def get(self, tenant: str, sid: str) -> Subscription:
        found = await self.store.subscriptions.load(tenant, sid)
        if not found:
            raise ResourceNotFound(f"subscription {sid} does not exist")
        return _decode(found[0])

    async def list(self, tenant: str) -> list[Subscription]:
        return [_decode(r) for r in await self.store.subscriptions.load(tenant)]

    async def update(
        self, tenant: str, sid: str, body: Any, ctx: ActiveContext, actor: str
    ) -> None:
        sub = await self.get(tenant, sid)
        changed = dataclasses.replace(sub)
        apply_fields(changed, _without_id(body), ctx, self.clock.now_ms())
        if not await self.store.subscriptions.update(tenant, sid, _encode(changed)):
            raise ResourceNotFound(f"subscription {sid} does not exist")
        await self._audit(tenant, actor, "update-subscription", sid)
        await self._changed(tenant, actor)

    async def delete(self, tenant: str, sid: str, actor: str) -> None:
        if not await self.store.subscriptions.delete(tenant, sid):
            raise ResourceNotFound(f"subscription {sid} does not exist")
        await self._audit(tenant, actor, "delete-subscription", sid)
        await self._changed(tenant, actor)

    async def refresh(self, tenant: str | None = None) -> None:
        """Reload the index from the database (all tenants when ``tenant`` is None)."""
        records = await self.store.subscriptions.load(tenant)
        by_tenant: dict[str, list[Subscription]] = {tenant: []} if tenant is not None else {}
        for record in records:
            by_tenant.setdefault(record.tenant, []).append(_decode(record))
        for name, subs in by_tenant.items():
            compiled = []
            for sub in subs:
                ctx = await self.contexts.resolve(sub.context)
                compiled.append(compile_subscription(sub, ctx.expand_term))
            self.index.replace(name, compiled)

    async def keep_fresh(self, every_s: float = 30.0) -> None:
        """Reload now and then: a safety net for changes announced while the bus was down."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.refresh()
            except Exception:
                log.exception("reloading subscriptions failed")

    async def _changed(self, tenant: str, actor: str) -> None:
        await self.refresh(tenant)
        self._announce(tenant, actor)

    async def _audit(self, tenant: str, actor: str, action: str, sid: str) -> None:
        record = AuditRecord(self.clock.now_ms(), actor, tenant, action, sid)
        await self.store.mutate(tenant, [], lambda _: Mutation(), actor, [record])


def _without_id(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in ("id", "type", "@context")}
    return body


def _encode(sub: Subscription) -> bytes:
    return orjson.dumps(sub.definition())


def _decode(record: SubscriptionRecord) -> Subscription:
    return Subscription.from_definition(orjson.loads(record.definition), record.status)
