"""The bus port. ``publish`` never blocks and never fails the write that called it: the write is
committed already, and the bus is for timeliness, not durability (the outbox is durable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cityioc.bus.events import ChangeEvent

Handler = Callable[[ChangeEvent], None]


class Bus(Protocol):
    name: str

    def subscribe(self, handler: Handler) -> None:
        """Called for every change, this process's and (with NATS) the others'."""

    def publish(self, event: ChangeEvent) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    @property
    def connected(self) -> bool: ...
