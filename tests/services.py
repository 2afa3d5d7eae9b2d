"""Access to the real services for tests: skip with instructions, or fail when CI requires them."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "CITYIOC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
HOW_TO_START = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "mqtt": "mosquitto -d -c /etc/mosquitto/mosquitto.conf",
    "nats": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server --"
    " -a 127.0.0.1"
    " -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log",
}


def services_required() -> bool:
    return os.environ.get("CITYIOC_REQUIRE_SERVICES") == "1"


def unavailable(service: str, reason: str) -> None:
    message = f"{service} is not reachable ({reason}); start it with: {HOW_TO_START[service]}"
    if services_required():
        pytest.fail(message)
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def create_postgres_database(prefix: str = "cityioc_test") -> str:
    """A fresh, uniquely named database; returns its URL. Pair with ``drop_postgres_database``."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as err:
        unavailable("postgresql", str(err).strip().splitlines()[0])
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


NATS_URL = os.environ.get("CITYIOC_TEST_NATS", "nats://127.0.0.1:4222")


def require_nats() -> str:
    """The NATS URL for tests, or skip/fail with how to start it."""
    host, port = NATS_URL.removeprefix("nats://").split(":")
    if not port_open(host, int(port)):
        unavailable("nats", f"nothing listens on {host}:{port}")
    return NATS_URL


MQTT_URL = os.environ.get("CITYIOC_TEST_MQTT", "mqtt://127.0.0.1:1883")


def require_mqtt() -> str:
    """The MQTT broker URL for tests (Mosquitto, MQTT 5), or skip/fail with how to start it."""
    host, port = MQTT_URL.removeprefix("mqtt://").split(":")
    if not port_open(host, int(port)):
        unavailable("mqtt", f"nothing listens on {host}:{port}")
    return MQTT_URL


def mqtt_publish(messages: list[tuple[str, bytes]], url: str | None = None) -> None:
    """Publish at QoS 1 and return once the broker has acknowledged every message."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = (url or require_mqtt()).removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect(host, int(port))
    client.loop_start()
    try:
        sent = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in sent:
            info.wait_for_publish(timeout=30)
    finally:
        client.disconnect()
        client.loop_stop()


def forget_mqtt_session(client_id: str) -> None:
    """End a persistent MQTT session a test left on the broker (clean start, no expiry)."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = require_mqtt().removeprefix("mqtt://").split(":")
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.connect(host, int(port), clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()
