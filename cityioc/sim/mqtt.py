"""Readings as MQTT messages, one per sensor report, the way a device or gateway publishes them.

Topic ``cityioc/<tenant>/<Type>/<local id>/attrs``, QoS 1, payload the report in keyValues form:
``{"pm25": 12.3, "pm10": 30.1, "observedAt": "…"}``. The ingestion side (another module) turns
them back into readings and creates unknown entities from the type in the topic.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from cityioc.sim.publishers import DEFAULT_TENANT, PublishError, Reading


def topic_of(tenant: str, entity_id: str) -> str:
    parts = entity_id.split(":", 3)
    if len(parts) != 4 or parts[0] != "urn" or parts[1] != "ngsi-ld":
        raise PublishError(f"{entity_id} is not a urn:ngsi-ld:<Type>:<local id>")
    return f"cityioc/{tenant}/{parts[2]}/{parts[3]}/attrs"


def messages(readings: Sequence[Reading], tenant: str) -> list[tuple[str, bytes, int]]:
    """(topic, payload, readings in it): consecutive readings of one report become one message."""
    out = []
    for (entity, observed), group in itertools.groupby(
        readings, key=lambda r: (r["entity"], r["observedAt"])
    ):
        payload: dict[str, Any] = {r["attribute"]: r["value"] for r in group}
        count = len(payload)
        payload["observedAt"] = observed
        out.append((topic_of(tenant, entity), orjson.dumps(payload), count))
    return out


class MqttPublisher:
    """Publishes with QoS 1 and returns once the broker has acknowledged every message."""

    def __init__(
        self,
        url: str = "mqtt://127.0.0.1:1883",
        tenant: str = DEFAULT_TENANT,
        *,
        client_id: str = "",
        qos: int = 1,
        timeout_s: float = 60.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise PublishError(f"expected mqtt://host:port, not {url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.tls = parts.scheme in ("mqtts", "ssl")
        self.port = parts.port or (8883 if self.tls else 1883)
        self.tenant = tenant
        self.qos = qos
        self.timeout_s = timeout_s
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        if parts.username:
            self.client.username_pw_set(parts.username, parts.password)
        if self.tls:
            self.client.tls_set()
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)  # unlimited: publish() never drops a message
        self._connected = threading.Event()
        self.client.on_connect = self._on_connect
        self._started = False

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            self._connected.set()

    async def connect(self) -> None:
        if self._started:
            return
        try:
            await asyncio.to_thread(self.client.connect, self.host, self.port, 30)
        except OSError as err:
            raise PublishError(f"cannot reach the MQTT broker at {self.host}:{self.port}") from err
        self.client.loop_start()
        self._started = True
        if not await asyncio.to_thread(self._connected.wait, self.timeout_s):
            raise PublishError(f"the MQTT broker at {self.host}:{self.port} did not accept us")

    async def publish(self, readings: Sequence[Reading]) -> int:
        await self.connect()
        sent = []
        for topic, payload, count in messages(readings, self.tenant):
            sent.append((self.client.publish(topic, payload, qos=self.qos), count))
        await asyncio.to_thread(self._wait, [info for info, _ in sent])
        return sum(count for _, count in sent)

    def _wait(self, infos: list[mqtt.MQTTMessageInfo]) -> None:
        for info in infos:
            info.wait_for_publish(self.timeout_s)
            if not info.is_published():
                raise PublishError("the MQTT broker did not acknowledge a message in time")

    async def ensure_entities(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Nothing to do: MQTT ingestion creates entities from the type in the topic."""

    async def aclose(self) -> None:
        if self._started:
            self.client.disconnect()
            self.client.loop_stop()
            self._started = False
