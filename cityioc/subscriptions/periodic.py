"""``timeInterval`` subscriptions: every N seconds, the current state of the selected entities.

The notifications go through the same outbox as change notifications, so they are delivered with
the same guarantees. The schedule is kept per process (a restart sends the next round at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import orjson

from cityioc.core.clock import Clock
from cityioc.hub.context import ContextResolver
from cityioc.hub.models import OutboxItem
from cityioc.hub.query import QueryParams, run_query
from cityioc.store.port import Store
from cityioc.subscriptions.matcher import CompiledSubscription, SubscriptionIndex, encode_entity

log = logging.getLogger(__name__)
PAGE = 1000
MAX_ENTITIES = 10_000  # per round and subscription: a periodic report, not an export
TICK_S = 1.0


class PeriodicNotifications:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        contexts: ContextResolver,
        index: SubscriptionIndex,
        wake: Callable[[], None],
    ) -> None:
        self.store = store
        self.clock = clock
        self.contexts = contexts
        self.index = index
        self._wake = wake
        self._next: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("periodic notifications failed; retrying")
            await asyncio.sleep(TICK_S)

    async def run_due(self) -> int:
        """Queue the rounds that are due; returns how many notifications were queued."""
        now = self.clock.now_ms()
        queued = 0
        for tenant, c in self.index.periodic():
            sub = c.sub
            key = (tenant, sub.id)
            if self._next.get(key, 0) > now or not sub.active:
                continue
            if sub.expires_at is not None and sub.expires_at <= now:
                continue
            assert sub.time_interval_s is not None
            self._next[key] = now + int(sub.time_interval_s * 1000)
            items = await self._round(tenant, c, now)
            if items:
                await self.store.subscriptions.enqueue(tenant, items)
                queued += len(items)
        if queued:
            self._wake()
        return queued

    async def _round(self, tenant: str, c: CompiledSubscription, now: int) -> list[OutboxItem]:
        sub = c.sub
        ctx = await self.contexts.resolve(sub.context)
        geo = sub.geoq or {}
        coordinates = geo.get("coordinates")
        items: list[OutboxItem] = []
        offset = 0
        while len(items) < MAX_ENTITIES:
            params = QueryParams(
                types=tuple(dict.fromkeys(s.type for s in sub.entities)),
                q=sub.q,
                georel=geo.get("georel"),
                geometry=geo.get("geometry"),
                coordinates=None if coordinates is None else orjson.dumps(coordinates).decode(),
                geoproperty=geo.get("geoproperty"),
                limit=PAGE,
                offset=offset,
            )
            page, _ = await run_query(self.store, tenant, params, ctx.expand_term)
            for entity in page:
                if c.selects(entity, entity.types) and self.index.readable(c, entity):
                    items.append(
                        OutboxItem(sub.id, entity.id, "timeInterval", encode_entity(entity), now)
                    )
            if len(page) < PAGE:
                break
            offset += PAGE
        return items[:MAX_ENTITIES]
