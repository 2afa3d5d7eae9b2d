"""The MQTT consumer against the real Mosquitto, on both backends: everything published is
stored once, bad messages become dead letters with reasons, a failing database holds the batch
unacknowledged until it recovers, consumers share a subscription, a broker outage is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from cityioc.core.clock import SystemClock, iso_ms
from cityioc.core.settings import Settings
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.ingest import dead_letters, mqtt_connection
from cityioc.ingest.dead_letters import DeadLetterFilter
from cityioc.ingest.mqtt import BatchReport, ConsumerConfig, MqttConsumer
from cityioc.store.port import SeriesKey, Store
from tests.services import forget_mqtt_session, mqtt_publish, port_open, require_mqtt

pytestmark = pytest.mark.timeout(60)


class Run:
    """Consumers of one test: a unique topic root and client ids, sessions removed afterwards."""

    def __init__(self, store: Store, **overrides: Any) -> None:
        self.store = store
        self.root = f"test-{uuid.uuid4().hex[:10]}"
        self.clock = SystemClock()
        self.hub = Hub(store, self.clock)
        self.reports: list[BatchReport] = []
        self.by_role: dict[str, int] = {}
        self.consumers: list[MqttConsumer] = []
        self.settings = Settings(
            mqtt_url=overrides.pop("mqtt_url", None) or require_mqtt(),
            mqtt_topic_root=self.root,
            mqtt_client_id=self.root,
            mqtt_session_expiry_s=120,
            mqtt_batch_wait_ms=2,
            **overrides,
        )

    async def start(self, role: str = "w0", *, wait: bool = True) -> MqttConsumer:
        config = ConsumerConfig.from_settings(self.settings, role)

        def count(report: BatchReport) -> None:
            self.reports.append(report)
            self.by_role[role] = self.by_role.get(role, 0) + report.messages

        consumer = MqttConsumer(config, self.hub, self.store, self.clock, count)
        await consumer.start()
        self.consumers.append(consumer)
        if wait:
            await until(lambda: consumer.connected, "the consumer did not connect")
        return consumer

    async def publish(self, messages: list[tuple[str, Any]], url: str | None = None) -> None:
        raw = [(t, p if isinstance(p, bytes) else orjson.dumps(p)) for t, p in messages]
        await asyncio.to_thread(mqtt_publish, raw, url)

    def handled(self) -> int:
        return sum(r.messages for r in self.reports)

    async def close(self) -> None:
        for consumer in self.consumers:
            await consumer.stop()
            await asyncio.to_thread(forget_mqtt_session, consumer.config.client_id)


async def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.02)


@pytest.fixture
async def run(store: Store) -> AsyncIterator[Run]:
    r = Run(store)
    yield r
    await r.close()


async def values(store: Store, eid: str, attr: str) -> list[Any]:
    key = SeriesKey(eid, core_context().expand_term(attr))
    found = await store.read_series("default", [key], None, None)
    return list(found[key].values) if key in found else []


def now_minus(seconds: float) -> str:
    return iso_ms(int((time.time() - seconds) * 1000))


async def test_every_reading_is_stored_and_bad_messages_are_dead_letters(
    run: Run, store: Store
) -> None:
    await run.start()
    good = [
        (
            f"{run.root}/default/AirQualityObserved/aq-{e}/attrs",
            {"pm25": float(i), "pm10": 2.0 * i, "no2": 1.0, "observedAt": now_minus(600 - i)},
        )
        for i in range(100)
        for e in range(2)
    ]
    gateway = [
        {"id": "urn:ngsi-ld:WeatherObserved:gw-1", "type": "WeatherObserved",
         "temperature": 31.5, "observedAt": now_minus(30)},
        {"entity": "urn:ngsi-ld:WeatherObserved:gw-2", "attribute": "temperature",
         "value": 29.0, "observedAt": now_minus(30)},
    ]  # fmt: skip
    aq0 = f"{run.root}/default/AirQualityObserved/aq-0/attrs"
    bad: list[tuple[str, Any]] = [
        (aq0, b'{"pm25": 1,'),
        (f"{run.root}/default/1Bad/x/attrs", {"pm25": 1}),
        (aq0, {"pm25": 1, "observedAt": "1970-01-01"}),
        (aq0, b"[" + b"1," * 200_000 + b"1]"),
        (aq0, {"pm25": None}),
    ]
    await run.publish([*good[:100], *bad, (f"{run.root}/default/batch", gateway), *good[100:]])
    await until(lambda: run.handled() == len(good) + len(bad) + 1, "not every message was handled")

    for e in range(2):
        eid = f"urn:ngsi-ld:AirQualityObserved:aq-{e}"
        assert await values(store, eid, "pm25") == [float(i) for i in range(100)]
        assert len(await values(store, eid, "no2")) == 100
    assert await values(store, "urn:ngsi-ld:WeatherObserved:gw-2", "temperature") == [29.0]
    entity = await run.hub.get("default", "urn:ngsi-ld:AirQualityObserved:aq-1")
    assert entity.types == [core_context().expand_type("AirQualityObserved")]  # auto-created
    letters, total = await dead_letters.find(store, DeadLetterFilter(source_kind="mqtt"))
    assert total == len(bad)
    assert sorted(d.reason for d in letters) == [
        "invalid_payload",
        "invalid_topic",
        "malformed_json",
        "time_out_of_range",
        "too_large",
    ]
    malformed = next(d for d in letters if d.reason == "malformed_json")
    assert malformed.payload == b'{"pm25": 1,' and malformed.client_id == f"{run.root}-w0"
    assert malformed.source == f"{run.root}/default/AirQualityObserved/aq-0/attrs"
    assert sum(r.readings for r in run.reports) == 600 + 2
    assert sum(sum(r.dead_letters.values()) for r in run.reports) == len(bad)


async def test_with_auto_create_off_unknown_entities_are_dead_letters(store: Store) -> None:
    run = Run(store, mqtt_auto_create=False)
    try:
        await run.hub.create(
            "default", {"id": "urn:ngsi-ld:Streetlight:known", "type": "Streetlight"}, "t"
        )
        await run.start()
        await run.publish(
            [
                (f"{run.root}/default/Streetlight/known/attrs", {"powerState": "on"}),
                (f"{run.root}/default/Streetlight/unknown/attrs", {"powerState": "off"}),
            ]
        )
        await until(lambda: run.handled() == 2, "messages not handled")
        assert await values(store, "urn:ngsi-ld:Streetlight:known", "powerState") == ["on"]
        letters, _ = await dead_letters.find(store, DeadLetterFilter())
        assert [(d.reason, d.tenant) for d in letters] == [("unknown_entity", "default")]
        assert "does not exist" in letters[0].detail
    finally:
        await run.close()


async def test_a_failing_database_holds_the_batch_until_it_recovers(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    outage = {"down": True, "attempts": 0}  # the database is down until the third attempt
    real_ingest, real_ping = run.hub.ingest_readings, store.ping

    async def flaky_ingest(*args: Any, **kwargs: Any) -> Any:
        outage["attempts"] += 1
        if outage["attempts"] >= 3:
            outage["down"] = False
        if outage["down"]:
            raise OSError("database unreachable")
        return await real_ingest(*args, **kwargs)

    async def flaky_ping() -> None:
        if outage["down"]:
            raise OSError("database unreachable")
        await real_ping()

    monkeypatch.setattr(run.hub, "ingest_readings", flaky_ingest)
    monkeypatch.setattr(store, "ping", flaky_ping)
    await run.start()
    topic = f"{run.root}/default/FloodMonitoring/f-1/attrs"
    with caplog.at_level(logging.INFO, logger="cityioc.ingest.mqtt"):
        await run.publish(
            [
                (topic, {"currentLevel": float(i), "observedAt": now_minus(60 - i)})
                for i in range(20)
            ]
        )
        await until(lambda: run.handled() == 20, "the batch was not stored after recovery")
    assert await values(store, "urn:ngsi-ld:FloodMonitoring:f-1", "currentLevel") == [
        float(i) for i in range(20)
    ]
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    recovered = [r for r in caplog.records if "works again" in r.getMessage()]
    assert len(failed) == 1 and len(recovered) == 1
    assert (await dead_letters.find(store, DeadLetterFilter()))[1] == 0


async def test_two_consumers_share_one_subscription(run: Run, store: Store) -> None:
    await run.start("w0")
    await run.start("w1")
    await asyncio.sleep(0.2)
    messages = [
        (
            f"{run.root}/default/NoiseLevelObserved/n-{i % 10}/attrs",
            {"LAeq": float(i), "observedAt": now_minus(300 - i // 10)},
        )
        for i in range(400)
    ]
    await run.publish(messages)
    await until(lambda: run.handled() == 400, "not all messages were handled")
    stored = [
        len(await values(store, f"urn:ngsi-ld:NoiseLevelObserved:n-{e}", "LAeq")) for e in range(10)
    ]
    assert stored == [40] * 10
    assert run.by_role["w0"] > 0 and run.by_role["w1"] > 0  # the broker spread the load


@pytest.fixture
def private_broker_port(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """A Mosquitto of this test's own, started when the test says so (for outage tests)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.skip("the mosquitto binary is not installed")
    from tests.e2e.server import free_port

    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        started.append(proc)
        deadline = time.monotonic() + 5
        while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.02)
        return proc

    start.port = port  # type: ignore[attr-defined]
    yield start
    for proc in started:
        proc.terminate()
        proc.wait(5)


async def test_an_unreachable_broker_is_logged_once_and_once_on_recovery(
    store: Store,
    private_broker_port: Callable[[], subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(mqtt_connection, "BACKOFF_FIRST_S", 0.05)
    monkeypatch.setattr(mqtt_connection, "BACKOFF_MAX_S", 0.2)
    port = private_broker_port.port  # type: ignore[attr-defined]
    run = Run(store, mqtt_url=f"mqtt://127.0.0.1:{port}")
    try:
        with caplog.at_level(logging.INFO, logger="cityioc.ingest.mqtt_connection"):
            consumer = await run.start(wait=False)
            await asyncio.sleep(1.0)  # several attempts
            assert not consumer.connected
            private_broker_port()
            await until(lambda: consumer.connected, "no reconnection after the broker came up")
        messages = [r.getMessage() for r in caplog.records]
        assert sum("unavailable" in m for m in messages) == 1
        assert sum("reachable again" in m for m in messages) == 1
        topic = f"{run.root}/default/WeatherObserved/w/attrs"
        await run.publish([(topic, {"temperature": 30})], f"mqtt://127.0.0.1:{port}")
        await until(lambda: run.handled() == 1, "no message after recovery")
    finally:
        for consumer in run.consumers:
            await consumer.stop()
