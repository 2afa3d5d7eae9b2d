"""The in-process bus: handlers run right after the commit, in the writer's event loop."""

from __future__ import annotations

import logging

from cityioc.bus.events import ChangeEvent
from cityioc.bus.port import Handler

log = logging.getLogger(__name__)


class MemoryBus:
    name = "memory"

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: ChangeEvent) -> None:
        deliver(self._handlers, event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @property
    def connected(self) -> bool:
        return True


def deliver(handlers: list[Handler], event: ChangeEvent) -> None:
    for handler in handlers:
        try:
            handler(event)
        except Exception:  # one broken consumer must not starve the others
            log.exception("bus handler %r failed", handler)
