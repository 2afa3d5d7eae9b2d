"""Writes keyed by what they change: one key's in the order given, different keys side by side
(they meet in grouped commits, hub/grouped.py), at most ``concurrent`` at once. The rule engine
queues its alert writes here so that evaluation never waits for the database, unless
``wait_below`` says too many are queued.

Each key with writes queued has one runner task working through them: a write costs no task of
its own and no waiting on the one before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)
Work = Callable[[], Awaitable[None]]


class OrderedWrites:
    def __init__(self, concurrent: int) -> None:
        self._queues: dict[Hashable, deque[Work]] = {}
        self._runners: dict[Hashable, asyncio.Task[None]] = {}
        self._gate = asyncio.Semaphore(concurrent)

    def __len__(self) -> int:
        return len(self._runners)

    def submit(self, key: Hashable, work: Work) -> None:
        """Run ``work`` after the writes already queued for ``key``."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._runners[key] = asyncio.get_running_loop().create_task(self._run(key, queue))
        queue.append(work)

    async def _run(self, key: Hashable, queue: deque[Work]) -> None:
        try:
            while queue:
                async with self._gate:
                    try:
                        await queue[0]()
                    except Exception:  # the next write of the key still goes
                        log.exception("writing an alert failed")
                queue.popleft()
        finally:  # nothing is awaited between the last popleft and here: no submit slips by
            del self._queues[key]
            del self._runners[key]

    async def wait_below(self, limit: int) -> None:
        """Back-pressure: wait until at most ``limit`` keys have writes queued."""
        while len(self._runners) > limit:
            await asyncio.wait(list(self._runners.values()), return_when=asyncio.FIRST_COMPLETED)

    async def drain(self) -> None:
        while self._runners:
            await asyncio.wait(list(self._runners.values()))
