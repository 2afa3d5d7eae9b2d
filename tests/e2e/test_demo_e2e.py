"""``cityioc demo`` as a newcomer runs it: one command, a living province within seconds,
scenarios on request, Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import free_port

pytestmark = pytest.mark.e2e


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the demo exited early"
        try:
            if httpx.get(url + "/api/v1/sim", timeout=1).json()["phase"] == "live":
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError("the demo did not go live in time")


def test_demo_opens_a_living_province(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYIOC_")}
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cityioc.cli", "demo", "--port", str(port), "--backfill", "1d"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        _wait_ready(url, proc)
        assert time.monotonic() - started < 45
        printed = log.read_text()
        keys = dict(re.findall(r"^  (admin|operator|viewer)\s+(cio_\S+)$", printed, re.MULTILINE))
        assert set(keys) == {"admin", "operator", "viewer"}

        # the pack is there: 20+ air-quality stations with values, areas, agencies
        stations = httpx.get(
            url + "/ngsi-ld/v1/entities",
            params={"type": "AirQualityObserved", "limit": 100, "options": "keyValues"},
        ).json()
        assert len(stations) >= 20 and all("pm25" in s for s in stations)
        # history was written: a day of hourly averages for one station
        history = httpx.get(
            url + "/ngsi-ld/v1/temporal/entities/" + stations[0]["id"],
            params={
                "attrs": "pm25",
                "format": "aggregatedValues",
                "aggrMethods": "avg",
                "aggrPeriodDuration": "PT1H",
                "lastN": 48,
            },
        )
        assert history.status_code == 200, history.text
        # and it is alive: readings keep arriving
        before = httpx.get(url + "/api/v1/sim").json()["stats"]["readings"]
        time.sleep(2.5)
        assert httpx.get(url + "/api/v1/sim").json()["stats"]["readings"] > before

        users = {
            role: (name, password)
            for role, name, password in re.findall(
                r"^  (operator|agency)\s+(demo-\S+)\s+(\S+)$", printed, re.MULTILINE
            )
        }
        assert set(users) == {"operator", "agency"}
        with httpx.Client(base_url=url) as browser:  # a person signs in with the printed password
            name, password = users["operator"]
            signed_in = browser.post(
                "/api/v1/session", json={"username": name, "password": password}
            )
            assert signed_in.status_code in (200, 201), signed_in.text
            assert browser.get("/api/v1/session").json()["user"]["role"] == "operator"

        viewer = {"Authorization": f"Bearer {keys['viewer']}"}
        operator = {"Authorization": f"Bearer {keys['operator']}"}
        assert (
            httpx.post(url + "/api/v1/sim/scenarios/heavy_rain", headers=viewer).status_code == 403
        )
        run = httpx.post(url + "/api/v1/sim/scenarios/heavy_rain", headers=operator)
        assert run.status_code == 201, run.text
        assert run.json()["state"] == "active"
        assert any(
            r["id"] == run.json()["id"] for r in httpx.get(url + "/api/v1/sim").json()["runs"]
        )
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        code = proc.wait(20)
    assert code == 0, log.read_text()[-2000:]
    assert "Traceback" not in log.read_text()
    assert not list((tmp_path / "demo-data").glob("*-wal"))  # the database was closed cleanly
