"""Load for the MQTT benchmark: a Mosquitto of its own, a raw QoS 1 publisher, MQTT sessions made
ahead of time, and the reference subscriber (paho, parses each message and acknowledges it).

The broker is the real Mosquitto binary on a free port, configured as the README advises for no
loss (``max_queued_messages 0``), so a backlog can wait in the consumers' sessions: the benchmark
publishes it first and then measures how fast the consumers drain it, with no publisher competing
for the two cores. The publisher writes pre-encoded MQTT 3.1.1 PUBLISH packets on a raw socket.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import orjson

from cityioc.bench.server import HOST, free_port

ATTRS = ("temperature", "relativeHumidity", "atmosphericPressure")
ROOT = "bench"
GROUP = "cityioc"
FILTERS = [f"$share/{GROUP}/{ROOT}/+/+/+/attrs", f"$share/{GROUP}/{ROOT}/+/batch"]
WINDOW = 5000  # PUBLISH packets in flight from the publisher


@contextmanager
def private_broker(workdir: Path) -> Iterator[int]:
    """A fresh Mosquitto on a free port; yields the port."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = workdir / f"mosquitto-{port}.conf"
    conf.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not _port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start on port {port}")
            time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def make_sessions(port: int, client_ids: Sequence[str], filters: Sequence[str] = FILTERS) -> None:
    """Persistent sessions subscribed as the consumers will be, so a backlog waits for them."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    for client_id in client_ids:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        subscribed = threading.Event()
        client.on_subscribe = lambda *_, done=subscribed: done.set()
        client.connect(HOST, port, clean_start=True, properties=props)
        client.loop_start()
        client.subscribe([(f, 1) for f in filters])
        if not subscribed.wait(10):
            raise RuntimeError(f"no SUBACK for {client_id}")
        client.disconnect()
        client.loop_stop()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _text(b: bytes) -> bytes:
    return struct.pack("!H", len(b)) + b


def messages(count: int, entities: int, first_step: int = 0) -> list[tuple[bytes, bytes]]:
    """``count`` messages of 3 readings, entity after entity, one second apart per entity."""
    start = int(time.time()) - 30 * 86_400 + first_step
    out = []
    for i in range(count):
        entity, step = i % entities, i // entities
        at = datetime.fromtimestamp(start + step, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {a: round(20.0 + (i * 7 + k) % 50 / 10, 1) for k, a in enumerate(ATTRS)}
        body["observedAt"] = at  # type: ignore[assignment]
        topic = f"{ROOT}/default/WeatherObserved/bench-{entity}/attrs".encode()
        out.append((topic, orjson.dumps(body)))
    return out


def publish(port: int, batch: Sequence[tuple[bytes, bytes]]) -> float:
    """Publish at QoS 1 (pipelined) and return the seconds it took the broker to take them."""
    sock = socket.create_connection((HOST, port))
    connect = _text(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _text(b"bench-pub")
    sock.sendall(b"\x10" + _varint(len(connect)) + connect)
    if sock.recv(4)[:2] != b"\x20\x02":
        raise RuntimeError("the broker refused the publisher")
    packets = []
    for i, (topic, payload) in enumerate(batch):
        body = _text(topic) + struct.pack("!H", i % 65_535 + 1) + payload
        packets.append(b"\x32" + _varint(len(body)) + body)
    started = time.perf_counter()
    sent = acked = 0
    pending = b""
    while acked < len(packets):
        if sent < len(packets) and sent - acked < WINDOW:
            upto = min(len(packets), sent + 500, acked + WINDOW)
            sock.sendall(b"".join(packets[sent:upto]))
            sent = upto
            sock.setblocking(False)
        else:
            sock.setblocking(True)
        with suppress(BlockingIOError):
            pending += sock.recv(1 << 16)
        whole = len(pending) // 4  # PUBACKs are 4 bytes each
        acked += whole
        pending = pending[whole * 4 :]
    seconds = time.perf_counter() - started
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    return seconds


def bare_subscriber(port: int, client_id: str, idle_s: float) -> None:
    """The reference: receive, parse the JSON and the topic, acknowledge; print first/last/n."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 10_000
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5, manual_ack=True
    )
    seen = {"n": 0, "first": 0.0, "last": 0.0}

    def on_message(c: paho.Client, _: object, m: paho.MQTTMessage) -> None:
        now = time.time()
        if not seen["n"]:
            seen["first"] = now
        orjson.loads(m.payload)
        m.topic.split("/")
        c.ack(m.mid, m.qos)
        seen["n"] += 1
        seen["last"] = now

    client.on_message = on_message
    client.connect(HOST, port, clean_start=False, properties=props)
    client.loop_start()
    while not seen["n"] or time.time() - seen["last"] < idle_s:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    print(orjson.dumps(seen).decode(), flush=True)


def reference(port: int, client_ids: Sequence[str], total: int) -> float:
    """Messages/s of bare subscribers (one process each) draining ``total`` queued messages."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cityioc.bench.mqtt_load", str(port), client_id],
            stdout=subprocess.PIPE,
        )
        for client_id in client_ids
    ]
    results = [orjson.loads(p.communicate(timeout=600)[0]) for p in procs]
    received = sum(int(r["n"]) for r in results)
    if received != total:
        raise RuntimeError(f"the reference subscribers got {received} of {total} messages")
    seconds = max(r["last"] for r in results) - min(r["first"] for r in results)
    return received / seconds if seconds > 0 else 0.0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the MQTT benchmark's bare subscriber")
    parser.add_argument("port", type=int)
    parser.add_argument("client_id")
    args = parser.parse_args()
    bare_subscriber(args.port, args.client_id, idle_s=1.0)
