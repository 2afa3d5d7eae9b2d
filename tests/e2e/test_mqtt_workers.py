"""``cityioc ingest mqtt --workers 2`` as a real process tree: the workers share the
subscription, everything is stored, a killed worker is restarted under its id and gets back what
it had not acknowledged, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

from cityioc.core.clock import SystemClock, iso_ms
from cityioc.hub.context import core_context
from cityioc.store.factory import make_store
from cityioc.store.port import SeriesKey
from tests.services import forget_mqtt_session, mqtt_publish, require_mqtt

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the parent pid
            found.append(int(stat.parent.name))
    return found


def count_samples(url: str, entities: int) -> int:
    async def run() -> int:
        store = make_store(url, SystemClock())
        await store.open()
        try:
            attr = core_context().expand_term("currentLevel")
            keys = [SeriesKey(f"urn:ngsi-ld:FloodMonitoring:fw-{e}", attr) for e in range(entities)]
            found = await store.read_series("default", keys, None, None)
            return sum(len(d.times) for d in found.values())
        finally:
            await store.close()

    return asyncio.run(run())


def test_workers_share_the_load_and_a_killed_one_comes_back(tmp_path: Path) -> None:
    root = f"e2e-{uuid.uuid4().hex[:10]}"
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    env = {
        **os.environ,
        "CITYIOC_MQTT_TOPIC_ROOT": root,
        "CITYIOC_MQTT_CLIENT_ID": root,
        "CITYIOC_MQTT_SESSION_EXPIRY_S": "300",
    }
    command = [sys.executable, "-m", "cityioc.cli", "ingest", "mqtt", "--workers", "2"]
    command += ["--mqtt-url", require_mqtt(), "--database-url", url]
    with (tmp_path / "workers.log").open("ab") as log:
        parent = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        children: list[int] = []
        while len(children) < 2 and time.monotonic() < deadline:
            children = children_of(parent.pid)
            time.sleep(0.1)
        assert len(children) == 2
        time.sleep(2.0)  # both connected and subscribed
        start = int(time.time() * 1000) - 3_600_000

        def batch(lo: int, hi: int) -> list[tuple[str, bytes]]:
            return [
                (
                    f"{root}/default/FloodMonitoring/fw-{i % 4}/attrs",
                    orjson.dumps(
                        {"currentLevel": float(i), "observedAt": iso_ms(start + i * 1000)}
                    ),
                )
                for i in range(lo, hi)
            ]

        mqtt_publish(batch(0, 400))
        deadline = time.monotonic() + 30
        while count_samples(url, 4) < 400 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count_samples(url, 4) == 400

        os.kill(
            children[0], signal.SIGKILL
        )  # a crash: the parent restarts it under the same client id
        mqtt_publish(batch(400, 800))  # half of these wait in the dead worker's session
        deadline = time.monotonic() + 40
        while count_samples(url, 4) < 800 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count_samples(url, 4) == 800
    finally:
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(60) == 0
        for role in ("w0", "w1"):
            forget_mqtt_session(f"{root}-{role}")
