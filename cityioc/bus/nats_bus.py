"""The bus over NATS JetStream, so that several server processes see each other's changes.

A process delivers its own changes to its handlers at once (no round trip) and publishes them on
``<prefix>.changes.<tenant>``; it reads everyone's changes from the stream with an ordered consumer
and skips its own (a header names the origin). Publishing is decoupled from the write path by a
bounded queue: a slow or absent NATS never holds back a commit; when the queue overflows the
oldest change is dropped and counted (the durable outbox, not the bus, carries what must arrive).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, StreamConfig
from nats.js.errors import Error as JetStreamError

from cityioc.bus.events import ChangeEvent
from cityioc.bus.memory import deliver
from cityioc.bus.port import Handler

log = logging.getLogger(__name__)
ORIGIN = "Cityioc-Origin"
CHUNK = 200  # entities per message: far below NATS's 1 MB default payload limit
RECONNECT_S = (0.5, 1, 2, 5)


class NatsBus:
    name = "nats"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cityioc",
        max_age_s: float = 3600,
        queue_size: int = 10_000,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.stream = f"{prefix.upper().replace('.', '_').replace('-', '_')}_CHANGES"
        self.max_age_s = max_age_s
        self.origin = uuid.uuid4().hex
        self.dropped = 0
        self._handlers: list[Handler] = []
        self._outgoing: asyncio.Queue[ChangeEvent] = asyncio.Queue(queue_size)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()
        self._stopping = False

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected and self._ready.is_set()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: ChangeEvent) -> None:
        deliver(self._handlers, event)
        if self._outgoing.full():
            self._outgoing.get_nowait()
            self.dropped += 1
            if self.dropped == 1:
                log.warning("NATS cannot keep up: dropping the oldest unsent changes")
        self._outgoing.put_nowait(event)

    async def start(self, wait_s: float = 5.0) -> None:
        """Connect (in the background if NATS is not there yet) and start both directions."""
        self._tasks = [asyncio.create_task(self._connect()), asyncio.create_task(self._send())]
        # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await self._ready.wait()

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._nc is not None:
            with contextlib.suppress(NatsError, asyncio.CancelledError):
                await self._nc.drain()
            self._nc = None

    async def delete_stream(self) -> None:
        """For tests and teardown: remove this bus's stream from the server."""
        if self._js is not None:
            with contextlib.suppress(JetStreamError):
                await self._js.delete_stream(self.stream)

    async def _connect(self) -> None:
        attempt = 0
        while True:
            try:
                nc = await nats.connect(
                    self.url,
                    name=f"cityioc-{self.origin[:8]}",
                    connect_timeout=2,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=self._reconnected,
                    error_cb=self._error,
                    allow_reconnect=True,
                )
                js = nc.jetstream()
                await self._ensure_stream(js)
                await js.subscribe(
                    f"{self.prefix}.changes.>",
                    cb=self._received,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                )
            except (OSError, NatsError, JetStreamError, TimeoutError) as err:
                if attempt == 0:
                    log.warning("NATS at %s is not reachable (%s); retrying", self.url, err)
                await asyncio.sleep(RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)])
                attempt += 1
                continue
            self._nc, self._js = nc, js
            if attempt:
                log.info("NATS at %s is reachable again", self.url)
            self._ready.set()
            return

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self.stream, subjects=[f"{self.prefix}.changes.>"], max_age=self.max_age_s
        )
        try:
            await js.add_stream(config)
        except JetStreamError:  # exists with other limits: take ours
            await js.update_stream(config)

    async def _send(self) -> None:
        await self._ready.wait()
        while True:
            event = await self._outgoing.get()
            for part in _chunks(event):
                while True:
                    try:
                        assert self._js is not None
                        await self._js.publish(
                            f"{self.prefix}.changes.{part.tenant}",
                            part.encode(),
                            headers={ORIGIN: self.origin},
                        )
                        break
                    except (NatsError, JetStreamError, TimeoutError) as err:
                        log.debug("NATS publish failed (%s); retrying", err)
                        await asyncio.sleep(0.5)

    async def _received(self, msg: Msg) -> None:
        if msg.headers and msg.headers.get(ORIGIN) == self.origin:
            return
        try:
            event = ChangeEvent.decode(msg.data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed change event on %s", msg.subject)
            return
        deliver(self._handlers, event)

    async def _disconnected(self) -> None:
        if not self._stopping:
            log.warning("NATS connection lost; reconnecting")

    async def _reconnected(self) -> None:
        log.info("NATS connection restored")

    async def _error(self, err: Exception) -> None:
        log.debug("NATS: %s", err)


def _chunks(event: ChangeEvent) -> list[ChangeEvent]:
    if len(event.upserts) <= CHUNK:
        return [event]
    # The other fields (notifications, evaluated …) go with every part.
    parts = [
        dataclasses.replace(event, upserts=event.upserts[i : i + CHUNK], deletes=[])
        for i in range(0, len(event.upserts), CHUNK)
    ]
    if event.deletes:
        parts.append(dataclasses.replace(event, upserts=[]))
    return parts
