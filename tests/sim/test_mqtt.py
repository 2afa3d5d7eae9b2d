"""The MQTT publisher against the real Mosquitto broker: one QoS 1 message per sensor report."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from cityioc.cli import app
from cityioc.sim.engine import Engine
from cityioc.sim.fleet import Fleet
from cityioc.sim.mqtt import MqttPublisher, messages
from cityioc.sim.publishers import PublishError
from tests.services import port_open, unavailable
from tests.sim.conftest import MINUTE, local_ms
from tests.sim.fleet_data import small_fleet

START = local_ms("2026-01-14 08:00")


def test_a_report_becomes_one_keyvalues_message_on_its_topic() -> None:
    readings = Engine(Fleet.from_entities(small_fleet()), seed=1).readings(START, START + MINUTE)
    found = {topic: orjson.loads(payload) for topic, payload, _ in messages(readings, "bd")}
    aq = found["cityioc/bd/AirQualityObserved/aq-vsip1/attrs"]
    assert set(aq) == {
        "pm25", "pm10", "no2", "o3", "co", "so2", "temperature", "relativeHumidity", "observedAt"
    }  # fmt: skip
    assert aq["observedAt"].startswith("2026-01-14T01:00:")
    assert sum(n for _, _, n in messages(readings, "bd")) == len(readings)
    with pytest.raises(PublishError):
        messages([{**readings[0], "entity": "not-a-urn"}], "bd")


@pytest.mark.timeout(60)
async def test_reports_reach_the_broker_with_qos_1() -> None:
    if not port_open("127.0.0.1", 1883):
        unavailable("mqtt", "nothing listens on 127.0.0.1:1883")
    tenant = f"simtest{uuid.uuid4().hex[:8]}"
    received: list[tuple[str, dict[str, Any]]] = []
    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_connect(client: mqtt.Client, *_: Any) -> None:
        client.subscribe(f"cityioc/{tenant}/#", qos=1)

    listener.on_connect = on_connect
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = lambda _c, _u, m: received.append((m.topic, orjson.loads(m.payload)))
    listener.connect("127.0.0.1", 1883)
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        readings = Engine(Fleet.from_entities(small_fleet()), seed=1).readings(
            START, START + 3 * MINUTE
        )
        publisher = MqttPublisher("mqtt://127.0.0.1:1883", tenant)
        try:
            assert await publisher.publish(readings) == len(readings)
        finally:
            await publisher.aclose()
        expected = len(messages(readings, tenant))
        deadline = time.monotonic() + 10
        while len(received) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        listener.loop_stop()
        listener.disconnect()
    assert len(received) == expected
    topic, payload = next(m for m in received if "/FloodMonitoring/fl-dian/" in m[0])
    assert topic == f"cityioc/{tenant}/FloodMonitoring/fl-dian/attrs"
    assert set(payload) == {"currentLevel", "observedAt"}


async def test_an_unreachable_broker_is_reported() -> None:
    publisher = MqttPublisher("mqtt://127.0.0.1:1", "x", timeout_s=2)
    with pytest.raises(PublishError, match="cannot reach"):
        await publisher.publish([])
    await publisher.aclose()


@pytest.mark.timeout(60)
def test_the_cli_publishes_a_live_round_over_mqtt(tmp_path: Path) -> None:
    if not port_open("127.0.0.1", 1883):
        unavailable("mqtt", "nothing listens on 127.0.0.1:1883")
    tenant = f"simcli{uuid.uuid4().hex[:8]}"
    fleet_file = tmp_path / "fleet.json"
    fleet_file.write_bytes(orjson.dumps(small_fleet()))
    topics: list[str] = []
    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_connect = lambda c, *_: c.subscribe(f"cityioc/{tenant}/#", qos=1)
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = lambda _c, _u, m: topics.append(m.topic)
    listener.connect("127.0.0.1", 1883)
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        args = ["simulate", "--fleet", str(fleet_file), "--mqtt-url", "mqtt://127.0.0.1:1883"]
        result = CliRunner().invoke(app, [*args, "--tenant", tenant, "--duration", "1s"])
        assert result.exit_code == 0, result.output
        deadline = time.monotonic() + 10
        while len(set(topics)) < len(small_fleet()) - 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        listener.loop_stop()
        listener.disconnect()
    assert len(set(topics)) >= len(small_fleet()) - 2  # every sensor (a gap or two aside)
    assert all(t.startswith(f"cityioc/{tenant}/") and t.endswith("/attrs") for t in topics)
