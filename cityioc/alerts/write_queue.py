"""Writes keyed by what they change: one key's in the order given, different keys side by side
(they meet in the store's group commits), at most ``concurrent`` at once. The rule engine queues
its alert writes here so that evaluation never waits for the database, unless ``wait_below`` says
too many are queued."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from functools import partial

log = logging.getLogger(__name__)


class OrderedWrites:
    def __init__(self, concurrent: int) -> None:
        self._last: dict[Hashable, asyncio.Task[None]] = {}  # the last write queued per key
        self._gate = asyncio.Semaphore(concurrent)

    def __len__(self) -> int:
        return len(self._last)

    def submit(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` after the writes already queued for ``key``."""
        before = self._last.get(key)

        async def run() -> None:
            if before is not None:
                await asyncio.wait([before])  # its failure is logged by itself
            async with self._gate:
                await work()

        task = asyncio.create_task(run())
        self._last[key] = task
        task.add_done_callback(partial(self._done, key))

    async def wait_below(self, limit: int) -> None:
        """Back-pressure: wait until at most ``limit`` keys have writes queued."""
        while len(self._last) > limit:
            await asyncio.wait(list(self._last.values()), return_when=asyncio.FIRST_COMPLETED)

    async def drain(self) -> None:
        while self._last:
            await asyncio.wait(list(self._last.values()))

    def _done(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._last.get(key) is task:
            del self._last[key]
        if not task.cancelled() and (err := task.exception()) is not None:
            log.error("writing an alert failed", exc_info=err)
