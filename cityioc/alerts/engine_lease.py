"""One rule engine per deployment: the server process holding a lease in the database evaluates.

Rule state (durations, the one active alert per source and rule) lives in the process that
evaluates, so with several server processes (``nats_url``) exactly one engine must see every
change: the lease holder takes its own changes and those the others publish as not evaluated
(``ChangeEvent.evaluated``). The holder renews the lease every ``renew_s``; when it stops (a crash,
the database out of reach) another process takes it once it has expired and restores the memory
the holder persisted (every few seconds). A clean stop hands the lease on at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from cityioc.alerts.engine import Engine
from cityioc.alerts.engine_state import MODULE
from cityioc.core.clock import Clock
from cityioc.core.failures import FailureNotice

log = logging.getLogger(__name__)
LEASE = "engine-lease"
TTL_MS = 15_000
RENEW_S = 5.0


class EngineLease:
    def __init__(
        self, engine: Engine, clock: Clock, *, ttl_ms: int = TTL_MS, renew_s: float = RENEW_S
    ) -> None:
        self.engine, self.clock = engine, clock
        self.ttl_ms, self.renew_s = ttl_ms, renew_s
        self.owner = uuid.uuid4().hex

    async def first(self) -> None:
        """Before the engine starts: whether it leads (it then loads as it always does)."""
        self.engine.leading = await self._hold()
        where = "here" if self.engine.leading else "by another process"
        log.info("alert rules evaluated %s", where)

    async def renew(self) -> None:
        held = await self._hold()
        if held and not self.engine.leading:
            await self.engine.take_over()
            log.info("this process now evaluates the alert rules")
        elif not held and self.engine.leading:
            await self.engine.step_down()
            log.warning("another process evaluates the alert rules now (or the lease was lost)")

    async def run(self) -> None:
        notice = FailureNotice(log, "taking over the rule engine")
        while True:
            await asyncio.sleep(self.renew_s)
            try:  # a take-over that failed (loading the memory) is tried again next time
                await self.renew()
                notice.succeeded()
            except Exception:
                notice.failed()

    async def release(self) -> None:
        """A clean stop: expire the lease now, so that another process takes over at its next
        renewal instead of after the time to live."""
        if self.engine.leading:
            now = self.clock.now_ms()
            state = self.engine.store.module_state
            try:
                await state.state_lease(MODULE, LEASE, self.owner, now, now)
            except Exception:  # it expires by itself
                log.debug("could not hand the rule engine's lease on", exc_info=True)

    async def _hold(self) -> bool:
        now = self.clock.now_ms()
        try:
            return await self.engine.store.module_state.state_lease(
                MODULE, LEASE, self.owner, now, now + self.ttl_ms
            )
        except Exception:  # the database is out of reach: another process may take over
            log.warning("the rule engine's lease could not be renewed", exc_info=True)
            return False
