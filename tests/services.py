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
