"""Raw-data retention: samples older than the configured age are purged; rollups are kept, so
aggregations over old periods still answer (from the hour and day rollups)."""

from __future__ import annotations

import asyncio
import logging

from cityioc.core.clock import Clock
from cityioc.core.failures import FailureNotice
from cityioc.store.port import Store

log = logging.getLogger(__name__)
DAY_MS = 86_400_000


async def purge_once(store: Store, clock: Clock, days: int) -> int:
    removed = await store.purge_raw_before(clock.now_ms() - days * DAY_MS)
    if removed:
        log.info("retention: purged %d raw samples older than %d days", removed, days)
    return removed


async def retention_loop(store: Store, clock: Clock, days: int, every_s: float = 3600.0) -> None:
    """Purge now and then every ``every_s`` seconds; a failure is logged once and retried."""
    notice = FailureNotice(log, "retention: purging")
    while True:
        try:
            await purge_once(store, clock, days)
            notice.succeeded()
        except Exception:
            notice.failed()
        await asyncio.sleep(every_s)
