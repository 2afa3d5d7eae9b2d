"""The live stream of entity changes for dashboards (Server-Sent Events).

Each subscriber gets a bounded queue: a slow browser can never hold back ingestion. When its queue
overflows, the subscriber is told to resynchronise (an ``overflow`` event) instead of silently
missing changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from cityioc.hub.models import Mutation, StoredEntity

log = logging.getLogger(__name__)
QUEUE_SIZE = 2048

EntityFilter = Callable[[str, StoredEntity], bool]


@dataclass(slots=True, eq=False)  # identity semantics: subscribers live in a set
class Subscriber:
    accepts: EntityFilter
    queue: asyncio.Queue[tuple[str, bytes]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    overflowed: bool = False


class ChangeFeed:
    """In-process fan-out of committed changes. (Across processes: the NATS bus, issue 3.)"""

    def __init__(self, render: Callable[[StoredEntity], dict[str, Any]]) -> None:
        self._render = render
        self._subscribers: set[Subscriber] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, tenant: str, actor: str, mutation: Mutation) -> None:
        if not self._subscribers:
            return
        for entity in mutation.upserts:
            payload: bytes | None = None
            for sub in list(self._subscribers):
                if not sub.accepts(tenant, entity):
                    continue
                if payload is None:
                    payload = orjson.dumps(
                        {"tenant": tenant, "actor": actor, "entity": self._render(entity)}
                    )
                self._offer(sub, "entity", payload)
        for eid in mutation.deletes:
            data = orjson.dumps({"tenant": tenant, "actor": actor, "id": eid})
            for sub in list(self._subscribers):
                self._offer(sub, "deleted", data)

    @staticmethod
    def _offer(sub: Subscriber, event: str, data: bytes) -> None:
        try:
            sub.queue.put_nowait((event, data))
        except asyncio.QueueFull:
            sub.overflowed = True

    async def stream(
        self, accepts: EntityFilter, heartbeat_s: float = 15.0
    ) -> AsyncIterator[dict[str, str]]:
        sub = Subscriber(accepts)
        self._subscribers.add(sub)
        try:
            yield {"event": "ready", "data": "{}"}
            while True:
                if sub.overflowed:
                    sub.overflowed = False
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    yield {"event": "overflow", "data": '{"resync": true}'}
                # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
                try:
                    async with asyncio.timeout(heartbeat_s):
                        event, data = await sub.queue.get()
                except TimeoutError:
                    yield {"event": "heartbeat", "data": "{}"}
                    continue
                yield {"event": event, "data": data.decode()}
        finally:
            self._subscribers.discard(sub)
