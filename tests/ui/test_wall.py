"""Video-wall mode: dark, rotating, unattended — and bounded under 100 events per second."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.server import ServerProcess
from tests.ui import city
from tests.ui.conftest import ADMIN, OpenPage, shoot

pytestmark = pytest.mark.e2e


def test_wall_renders_dark_and_rotates_its_panels(open_page: OpenPage) -> None:
    page = open_page("/wall?rotate=2", key=True, width=1920, height=1080)
    wall = page.locator(".page-wall")
    expect(wall).to_have_attribute("data-panel", "map")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(5, 7, 13)"
    expect(page.locator(".wall-map [data-entity-id]").first).to_be_attached()
    shoot(page, "wall-map")
    # Scenario 6's order: map → incidents (with SLA countdowns) → AQI by station → sensors.
    expect(wall).to_have_attribute("data-panel", "incidents", timeout=5000)
    expect(page.locator(".wall-empty")).to_be_visible()
    expect(wall).to_have_attribute("data-panel", "aqi", timeout=5000)
    tiles = page.locator(".aqi-tile")
    expect(tiles).to_have_count(len(city.STATIONS))
    expect(tiles.first).to_have_attribute("data-state", "aqi-poor")
    # A ranked list: 1, 2, … with the worst index first.
    assert tiles.evaluate_all("ts => ts.map(t => t.dataset.rank)") == [
        str(n + 1) for n in range(len(city.STATIONS))
    ]
    figures = [int(f) for f in tiles.locator(".aqi-figure").all_inner_texts() if f.isdigit()]
    assert figures == sorted(figures, reverse=True), figures
    shoot(page, "wall-aqi")
    # Who is online is the server's answer (GET /api/v1/sensors/status), not the page's guess.
    with page.expect_response(lambda r: "/api/v1/sensors/status" in r.url) as answered:
        expect(wall).to_have_attribute("data-panel", "online", timeout=5000)
    status = answered.value.json()
    assert status["totals"] == {"online": 9, "offline": 0, "total": 9}, status
    expect(page.locator(".online-figure")).to_have_text("9")
    expect(page.locator(".online-types li")).to_have_count(len(status["types"]))
    shoot(page, "wall-online")


def _drive(url: str, stop: threading.Event, per_second: int, sent: list[int]) -> None:
    """POST ``per_second`` readings a second in ten batches, cycling through the stations."""
    ids = [city.AQ + local for local in city.STATIONS]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
        n = 0
        while not stop.is_set():
            started = time.monotonic()
            batch: list[dict[str, Any]] = []
            for _ in range(per_second // 10):
                n += 1
                batch.append(
                    {
                        "entity": ids[n % len(ids)],
                        "attribute": "pm10",
                        "value": 20.0 + n % 7,
                        "observedAt": datetime.now(UTC).isoformat(),
                    }
                )
            http.post("/api/v1/readings", json=batch)
            sent.append(len(batch))
            stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))


def test_wall_stays_bounded_under_100_events_per_second(
    open_page: OpenPage, ui_server: ServerProcess
) -> None:
    page = open_page("/wall?rotate=2", key=True, width=1920, height=1080)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def measure() -> dict[str, float]:
        cdp.send("HeapProfiler.collectGarbage")
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in metrics}

    stop = threading.Event()
    sent: list[int] = []
    driver = threading.Thread(target=_drive, args=(ui_server.url, stop, 100, sent), daemon=True)
    driver.start()
    try:
        time.sleep(4)  # warm up: every panel shown once, the stream flowing
        before = measure()
        time.sleep(12)
        after = measure()
    finally:
        stop.set()
        driver.join(5)
    rate = sum(sent) / 16
    assert rate > 80, f"the driver sent only {rate:.0f} readings/s"
    # Bounded: the DOM does not grow with events, the heap does not creep.
    assert after["Nodes"] < before["Nodes"] * 1.3 + 300, (before["Nodes"], after["Nodes"])
    growth = after["JSHeapUsedSize"] - before["JSHeapUsedSize"]
    assert growth < 5_000_000, f"heap grew by {growth / 1e6:.1f} MB in 12 s"
    # It kept up: the page shows what the server holds now (within one flush).
    page.wait_for_function("() => window.__cityioc.live === 'live'")
    assert page.evaluate("window.__cityioc.feedSize()") <= 150
