"""Delivers the outbox: at least once, in order per subscription, with retries and backoff.

One task per subscription at a time (the database lease makes that hold across processes too),
so a slow or dead receiver delays only its own notifications. Rows are deleted after the receiver
answered 2xx; a crash before that means the notification is sent again (at-least-once). The loop
wakes at once after a commit that queued notifications, and every second in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import httpx
import orjson

from cityioc.core.clock import Clock, iso_ms
from cityioc.core.errors import CityError, ResourceNotFound
from cityioc.hub.context import ContextResolver
from cityioc.hub.render import Form, View, render
from cityioc.store.port import OutboxRow, Store
from cityioc.subscriptions.matcher import decode_entity
from cityioc.subscriptions.models import Subscription

log = logging.getLogger(__name__)

BATCH = 1000  # entities per notification at most
LEASE_MS = 15_000  # longer than one delivery can take (timeout 10 s)
BACKOFF_S = (1, 2, 5, 10, 30)  # after the 1st, 2nd … failure; then the last one
IDLE_WAKE_S = 1.0
LINGER_S = 1.0  # a delivering task waits this long for more before it gives its lease back
HOLD_S = 10.0  # a delivering task gives its lease back after this long (and is started afresh)
CLAIM_EVERY_S = 0.2  # while deliveries run, look for newly due subscriptions at most this often

Observe = Callable[[str, int, float], None]  # (outcome, notifications, seconds since change)


class Notifier:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        contexts: ContextResolver,
        load: Callable[[str, str], Awaitable[Subscription]],
        *,
        client: httpx.AsyncClient | None = None,
        concurrency: int = 32,
        timeout_s: float = 10.0,
        observe: Observe | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.contexts = contexts
        self._load = load
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._owner = f"notifier-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._more: dict[tuple[str, str], asyncio.Event] = {}
        self._limit = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._observe = observe or (lambda outcome, n, lag: None)
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Called after a commit that queued notifications."""
        self._wake.set()
        for more in self._more.values():
            more.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
        await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            started = asyncio.get_running_loop().time()
            try:
                await self.deliver_due()
            except Exception:  # the loop must outlive a database hiccup
                log.exception("notification delivery round failed; retrying")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
            # arrives as the event is set, and stop() then waits for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_WAKE_S):
                    await self._wake.wait()
            if self._running:  # they take the new rows themselves: do not claim on every commit
                elapsed = asyncio.get_running_loop().time() - started
                await asyncio.sleep(max(0.0, CLAIM_EVERY_S - elapsed))

    async def deliver_due(self) -> None:
        """Start a delivery task for every subscription with notifications due."""
        free = self._concurrency - len(self._running)
        if free <= 0:
            return
        now = self.clock.now_ms()
        due = await self.store.subscriptions.claim_due(now, self._owner, LEASE_MS, free)
        for key in due:
            if key not in self._running:
                task = asyncio.create_task(self._drain(*key))
                self._running[key] = task
                task.add_done_callback(functools.partial(self._done, key))

    def _done(self, key: tuple[str, str], _task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        self._more.pop(key, None)
        self._wake.set()  # more may have arrived meanwhile

    async def _drain(self, tenant: str, sid: str) -> None:
        """Send a subscription's notifications in order while there are any, then linger a moment
        for more (holding the lease saves claiming it again for every commit); stop on failure."""
        more = self._more[(tenant, sid)] = asyncio.Event()
        async with self._limit:
            try:
                sub = await self._load(tenant, sid)
            except ResourceNotFound:
                return  # deleted meanwhile, and its outbox with it
            acks: list[asyncio.Task[None]] = []
            loop = asyncio.get_running_loop()
            until = loop.time() + HOLD_S  # then let go, so that edits to it are picked up
            try:
                after = 0
                while loop.time() < until:
                    more.clear()
                    rows = await self.store.subscriptions.pending(tenant, sid, after, BATCH)
                    if rows:
                        ack = await self._send(tenant, sub, rows)
                        if isinstance(ack, str):  # failed: record it after the earlier successes
                            await asyncio.gather(*acks, return_exceptions=True)
                            await self._failed(tenant, sub, rows, ack)
                            return  # that released the lease and set the retry time
                        # Recording the delivery is not awaited before the next send: the next
                        # rows come after ``after``, and a crash before it commits only means
                        # those notifications are sent again (at least once).
                        acks = [a for a in acks if not a.done()] + [ack]
                        after = rows[-1].seq
                        continue
                    try:
                        async with asyncio.timeout(LINGER_S):  # not wait_for: see _loop
                            await more.wait()
                    except TimeoutError:
                        break
            except Exception:  # a database error: leave the rows for the next round
                log.exception("delivering subscription %s failed", sid)
            finally:
                await asyncio.gather(*acks, return_exceptions=True)
            await self.store.subscriptions.release(tenant, sid, self._owner)

    async def _send(
        self, tenant: str, sub: Subscription, rows: Sequence[OutboxRow]
    ) -> asyncio.Task[None] | str:
        """POST one notification: on success the task that records it, else the error."""
        now = self.clock.now_ms()
        try:
            body, headers = await self._notification(sub, rows, now)
            response = await self._client.post(sub.endpoint, content=body, headers=headers)
            ok, error = response.is_success, f"HTTP {response.status_code}"
        except httpx.HTTPError as err:
            ok, error = False, f"{type(err).__name__}: {err}"
        except CityError as err:  # e.g. its @context cannot be loaded just now
            ok, error = False, f"{err.code}: {err.detail}"
        if ok:
            done = self.clock.now_ms()
            sub.status.consecutive_failures = 0
            self._observe("sent", len(rows), (done - rows[0].created_at) / 1000)
            return asyncio.create_task(
                self.store.subscriptions.delivered(
                    tenant, sub.id, rows[-1].seq, done, done + LEASE_MS
                )
            )
        return error

    async def _failed(
        self, tenant: str, sub: Subscription, rows: Sequence[OutboxRow], error: str
    ) -> None:
        done = self.clock.now_ms()
        failures = sub.status.consecutive_failures
        delay_ms = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)] * 1000
        await self.store.subscriptions.failed(tenant, sub.id, done, done + delay_ms, error[:500])
        if failures == 0:
            log.warning(
                "notifications to %s failed (%s); retrying with backoff", sub.endpoint, error
            )
        self._observe("failed", len(rows), (done - rows[0].created_at) / 1000)

    async def _notification(
        self, sub: Subscription, rows: Sequence[OutboxRow], now: int
    ) -> tuple[bytes, dict[str, str]]:
        ctx = await self.contexts.resolve(sub.context)
        view = View(
            form=cast(Form, sub.form),
            attrs=frozenset(sub.attributes) or None,
            sys_attrs=sub.sys_attrs,
        )
        data: list[dict[str, Any]] = []
        for row in rows:
            entity = decode_entity(row.snapshot)
            if row.trigger == "entityDeleted":
                gone = {"id": entity.id, "type": ctx.compact_iri(entity.types[0])}
                data.append({**gone, "deletedAt": iso_ms(entity.modified_at)})
            else:
                data.append(ctx.compact_entity_keys(render(entity, view)))
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub.id,
            "notifiedAt": iso_ms(now),
            "data": data,
        }
        headers = {k: v for k, v in sub.receiver_info}
        if sub.accept == "application/ld+json":
            payload["@context"] = ctx.body_context
            headers["Content-Type"] = "application/ld+json"
        else:
            headers["Content-Type"] = "application/json"
            if ctx.link_header:
                headers["Link"] = ctx.link_header
        return orjson.dumps(payload), headers
