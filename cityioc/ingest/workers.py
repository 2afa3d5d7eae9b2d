"""``cityioc ingest mqtt``: MQTT consumers without the HTTP server, in one or several processes.

Each worker process has its own stable client id (``<mqtt_client_id>-w<i>``) and joins the shared
subscription, so the broker spreads messages over them; the parent restarts a worker that dies,
under the same id, so the broker hands it back what it had not acknowledged. Subscriptions
(NGSI-LD) created on the server reach the workers' write path within ``SUBSCRIPTIONS_REFRESH_S``.
With ``nats_url``, the workers publish what they store on the event bus, marked as not evaluated:
the server process that runs the rule engine evaluates it, and live streams show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time

from cityioc.bus.events import ChangeEvent
from cityioc.bus.factory import make_bus
from cityioc.core.clock import SystemClock
from cityioc.core.settings import Settings
from cityioc.hub.context import ContextResolver
from cityioc.hub.service import Hub
from cityioc.ingest.mqtt import BatchReport, ConsumerConfig, MqttConsumer
from cityioc.store.factory import make_store
from cityioc.subscriptions.matcher import SubscriptionIndex
from cityioc.subscriptions.service import Subscriptions

log = logging.getLogger(__name__)
SUBSCRIPTIONS_REFRESH_S = 10.0
PROGRESS_EVERY_S = 60.0
RESTART_DELAY_S = (1.0, 30.0)


class _Progress:
    """Logs what a worker did once a minute: a standalone worker has no /metrics."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.messages = self.readings = self.letters = 0
        self.since = time.monotonic()

    def __call__(self, report: BatchReport) -> None:
        self.messages += report.messages
        self.readings += report.readings
        self.letters += sum(report.dead_letters.values())
        if time.monotonic() - self.since >= PROGRESS_EVERY_S:
            log.info(
                "worker %s: %d messages, %d readings stored, %d dead letters in %.0f s",
                self.role,
                self.messages,
                self.readings,
                self.letters,
                time.monotonic() - self.since,
            )
            self.messages = self.readings = self.letters = 0
            self.since = time.monotonic()


async def run_worker(settings: Settings, role: str) -> None:
    """One consumer until SIGTERM or SIGINT; then the batch in hand is committed and acked."""
    clock = SystemClock()
    store = make_store(settings.database_url, clock)
    await store.open()
    contexts = ContextResolver(fetch_timeout_s=settings.context_fetch_timeout_s)
    hub = Hub(store, clock)
    index = SubscriptionIndex()
    hub.set_outbox_policy(index.match)
    subscriptions = Subscriptions(store, clock, contexts, index)
    bus = make_bus(settings) if settings.nats_url else None
    if bus is not None:
        publish = bus.publish  # changes go out marked unevaluated: workers run no rule engine
        hub.on_change(lambda t, a, m: publish(ChangeEvent.of(t, a, m, evaluated=False)))
        await bus.start()
    else:
        log.warning(
            "no nats_url: what this worker stores raises no alerts and reaches no live stream"
        )
    config = ConsumerConfig.from_settings(settings, role)
    consumer = MqttConsumer(config, hub, store, clock, _Progress(role))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await subscriptions.refresh()
        await consumer.start()
        log.info("MQTT worker %s consuming %s as %s", role, config.endpoint, config.client_id)
        while not stop.is_set():
            # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SUBSCRIPTIONS_REFRESH_S):
                    await stop.wait()
            if not stop.is_set():
                await _refresh(subscriptions)
    finally:
        await consumer.stop()
        if bus is not None:
            await bus.stop()
        await contexts.aclose()
        await store.close()


async def _refresh(subscriptions: Subscriptions) -> None:
    try:
        await subscriptions.refresh()
    except Exception as err:  # the database is down: the consumer says so; keep the old index
        log.debug("subscription refresh failed: %s", err)


def run_workers(settings: Settings, workers: int) -> int:
    """Run ``workers`` consumer processes until SIGTERM/SIGINT; returns the exit code."""
    if workers == 1:
        asyncio.run(run_worker(settings, "w0"))
        return 0
    env = {**os.environ, "CITYIOC_DATABASE_URL": settings.database_url}
    env["CITYIOC_MQTT_URL"] = settings.mqtt_url or ""
    if settings.nats_url:
        env["CITYIOC_NATS_URL"] = settings.nats_url
    stopping = False

    def spawn(index: int) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "cityioc.cli", "ingest", "mqtt", "--role", f"w{index}"]
        return subprocess.Popen(command, env=env)

    def on_signal(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    procs: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    procs += [spawn(i) for i in range(workers)]
    delays = [RESTART_DELAY_S[0]] * workers
    while not stopping:
        time.sleep(0.5)
        for i, proc in enumerate(procs):
            code = proc.poll()
            if code is not None and not stopping:
                # Same id again: the broker hands the new process what the dead one had not acked.
                log.warning(
                    "MQTT worker w%d exited with %s; restarting in %.0f s", i, code, delays[i]
                )
                time.sleep(delays[i])
                delays[i] = min(delays[i] * 2, RESTART_DELAY_S[1])
                procs[i] = spawn(i)
    for proc in procs:
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0
