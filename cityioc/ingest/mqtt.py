"""The MQTT consumer: sensors' messages in, readings committed, then acknowledged.

Messages are collected into a batch (up to ``mqtt_batch_max_messages``, or whatever arrived within
``mqtt_batch_wait_ms`` of the first), the batch is stored in one ``Hub.ingest_readings`` commit per
tenant, what could not be stored goes to the dead letters, and only then is every message of the
batch acknowledged (QoS 1). While a batch commits, the next one fills. A database failure keeps the
batch and retries it (logged once, and once on recovery); bad input never stops the loop.

Several consumers (``cityioc ingest mqtt --workers N``, or other machines) share the load through
an MQTT 5 shared subscription (``$share/<group>/…``), each under its own stable client id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from cityioc.core.clock import Clock
from cityioc.core.failures import FailureNotice
from cityioc.core.settings import Settings
from cityioc.hub.service import Hub
from cityioc.ingest.dead_letters import record_many
from cityioc.ingest.mqtt_batch import BatchOutcome, Message, letter_for, store_batch
from cityioc.ingest.mqtt_connection import Endpoint, MqttConnection
from cityioc.ingest.mqtt_topics import MessageRules, Reason
from cityioc.store.port import Store

log = logging.getLogger(__name__)
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 10.0


class _Received(NamedTuple):
    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


@dataclass(slots=True)
class BatchReport:
    """What one batch did, for metrics."""

    messages: int
    readings: int
    dead_letters: dict[str, int] = field(default_factory=dict)  # by reason


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    endpoint: Endpoint
    client_id: str
    subscriptions: list[str]
    rules: MessageRules
    auto_create: bool = True
    batch_max: int = 2000
    batch_wait_s: float = 0.005
    receive_maximum: int = 10_000
    session_expiry_s: int = 86_400

    @staticmethod
    def from_settings(settings: Settings, role: str) -> ConsumerConfig:
        """``role`` tells consumers apart under one client id prefix: ``serve``, ``w0``, ``w1``…"""
        if settings.mqtt_url is None:
            raise ValueError("mqtt_url is not set")
        rules = MessageRules.from_settings(settings)
        group = settings.mqtt_shared_group
        filters = [f"$share/{group}/{f}" if group else f for f in rules.filters()]
        prefix = settings.mqtt_client_id or f"cityioc-{socket.gethostname()}"
        return ConsumerConfig(
            Endpoint.parse(settings.mqtt_url),
            f"{prefix}-{role}",
            filters,
            rules,
            settings.mqtt_auto_create,
            settings.mqtt_batch_max_messages,
            settings.mqtt_batch_wait_ms / 1000,
            max(settings.mqtt_receive_maximum, settings.mqtt_batch_max_messages),
            settings.mqtt_session_expiry_s,
        )


class MqttConsumer:
    def __init__(
        self,
        config: ConsumerConfig,
        hub: Hub,
        store: Store,
        clock: Clock,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self.config = config
        self.hub = hub
        self.store = store
        self.clock = clock
        self.on_batch = on_batch
        self.connection = MqttConnection(
            config.endpoint,
            config.client_id,
            config.subscriptions,
            self._received,
            receive_maximum=config.receive_maximum,
            session_expiry_s=config.session_expiry_s,
        )
        self._pending: list[_Received] = []
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def connected(self) -> bool:
        return self.connection.connected

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.connection.run(), name="mqtt-connection"),
            asyncio.create_task(self._drain_forever(), name="mqtt-batches"),
        ]

    async def run(self) -> None:
        """Start and run until cancelled (what ``cityioc ingest mqtt`` does)."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Finish the batch in hand, acknowledge it, disconnect (the session stays)."""
        self._stopping = True
        self._arrived.set()
        drain = self._tasks[1:] if self._tasks else []
        if drain:
            await asyncio.wait(drain, timeout=30)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.connection.close()

    def _received(self, topic: str, payload: bytes, mid: int, qos: int, generation: int) -> None:
        self._pending.append(_Received(topic, payload, mid, qos, generation))
        if len(self._pending) == 1:
            self._arrived.set()
        if len(self._pending) >= self.config.batch_max:
            self._full.set()

    async def _drain_forever(self) -> None:
        while not self._stopping:
            await self._arrived.wait()
            if self._stopping:
                return
            if len(self._pending) < self.config.batch_max and self.config.batch_wait_s > 0:
                # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.batch_wait_s):
                        await self._full.wait()
            batch = self._pending[: self.config.batch_max]
            del self._pending[: self.config.batch_max]
            if len(self._pending) < self.config.batch_max:
                self._full.clear()
            if not self._pending:
                self._arrived.clear()
            if batch:
                try:
                    await self._handle(batch)
                except Exception:  # a bug, not the data or the database: never stop consuming
                    log.exception("an MQTT batch could not be handled; reconnecting for redelivery")
                    self.connection.drop()  # unacknowledged messages come back on the new session

    async def _handle(self, batch: list[_Received]) -> None:
        now = self.clock.now_ms()
        client = self.config.client_id
        messages = [Message(r.topic, r.payload, now, client) for r in batch]
        delay, notice = RETRY_FIRST_S, FailureNotice(log, "storing MQTT batches")
        while True:
            try:
                outcome = await self._store(messages)
                if outcome.letters:
                    await record_many(self.store, outcome.letters)
                break
            except Exception:  # the database, not the data: keep the batch, retry, log once
                notice.failed()
                if self._stopping:
                    return  # not acknowledged: the broker sends it again after a restart
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        notice.succeeded()
        ack = self.connection.ack
        for r in batch:
            ack(r.mid, r.qos, r.generation)
        if self.on_batch is not None:
            reasons: dict[str, int] = {}
            for letter in outcome.letters:
                reasons[letter.reason] = reasons.get(letter.reason, 0) + 1
            self.on_batch(BatchReport(len(batch), outcome.readings, reasons))

    async def _store(self, messages: list[Message]) -> BatchOutcome:
        try:
            return await store_batch(
                self.hub, messages, self.config.rules, auto_create=self.config.auto_create
            )
        except Exception:
            try:
                await self.store.ping()
            except Exception:
                raise  # the database is down: the caller keeps the batch and retries
            # The database answers, so something in the batch breaks the ingest path.
            log.exception(
                "an MQTT batch failed with the database up; storing it message by message"
            )
            return await self._one_by_one(messages)

    async def _one_by_one(self, messages: list[Message]) -> BatchOutcome:
        outcome = BatchOutcome()
        for message in messages:
            try:
                alone = await store_batch(
                    self.hub, [message], self.config.rules, auto_create=self.config.auto_create
                )
            except Exception as err:  # this message breaks the path: it becomes a dead letter
                detail = f"{type(err).__name__}: {err}"
                outcome.letters.append(
                    letter_for(message, Reason.rejected, detail, self.config.rules)
                )
                continue
            outcome.readings += alone.readings
            outcome.letters += alone.letters
        return outcome
