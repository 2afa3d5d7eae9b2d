"""The UI as its users meet it: the public map, live operations, language, entity detail."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import ServerProcess
from tests.ui import city
from tests.ui.conftest import ADMIN, OpenPage, shoot

pytestmark = pytest.mark.e2e


def marker(page: Page, entity_id: str) -> str | None:
    return page.locator(f'.leaflet-marker-pane [data-entity-id="{entity_id}"]').get_attribute(
        "data-state"
    )


def test_public_page_shows_stations_in_aqi_colours_without_tiles(open_page: OpenPage) -> None:
    page = open_page("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(
        page.get_by_role("heading", name=re.compile("Chất lượng không khí hiện tại"))
    ).to_be_visible()
    for local, (_, _, _, _, state) in city.STATIONS.items():
        expect(
            page.locator(f'.leaflet-marker-pane [data-entity-id="{city.AQ}{local}"]')
        ).to_have_attribute("data-state", state)
    # The worst station heads the list, with its category in words (not colour alone).
    first = page.locator('[data-list="aqi"] li button').first
    expect(first).to_have_attribute("data-state", "aqi-poor")
    expect(first).to_contain_text("Kém")
    # No tiles configured: areas with labels on a plain background, never an empty box.
    expect(page.locator(".city-map")).to_have_attribute("data-tiles", "off")
    expect(page.locator(".area-label", has_text="Phường Dĩ An")).to_be_visible()
    # Public: streetlights (not a public type) are not drawn.
    assert page.locator('[data-entity-id^="urn:ngsi-ld:Streetlight:"]').count() == 0
    shoot(page, "public-vi")


def test_a_reading_that_crosses_a_category_recolours_the_live_map(
    open_page: OpenPage, ui_server: ServerProcess
) -> None:
    page = open_page("/signin", wait=False)
    # The API-key fallback of the sign-in page, as an operator would use it today.
    page.get_by_text("Khóa API (phương án tạm thời)").click()
    page.get_by_label("Khóa API", exact=True).fill(ADMIN)
    page.get_by_role("button", name="Dùng khóa này").click()
    page.wait_for_url("**/ops")
    page.wait_for_function("() => window.__cityioc.ready && window.__cityioc.live === 'live'")
    station = city.AQ + "ui-change"
    target = page.locator(f'.leaflet-marker-pane [data-entity-id="{station}"]')
    expect(target).to_have_attribute("data-state", "aqi-good")
    expect(page.locator('[data-kpi="online"] .kpi-value')).not_to_have_text("0")

    city.post_reading(ui_server.url, ADMIN, station, "pm25", 65.0)  # VN_AQI ≈ 125: "Kém"
    expect(target).to_have_attribute("data-state", "aqi-poor", timeout=5000)
    # The feed tells the change in words, and the KPI tile shows the worst station.
    expect(page.locator(".feed-open", has_text="Thuận An")).to_contain_text("Tốt → Kém")
    assert page.evaluate(f"window.__cityioc.mapStates()['{station}']") == "aqi-poor"
    shoot(page, "ops-live")

    # Clicking the marker opens its detail beside the map; Escape closes it.
    target.click()
    panel = page.locator(f'.detail-panel[data-detail="{station}"]')
    expect(panel).to_be_visible()
    expect(panel.locator('[data-attr="pm25"] .attr-value')).to_have_text("65 µg/m³")
    shoot(page, "ops-detail")
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    city.post_reading(ui_server.url, ADMIN, station, "pm25", 12.0)  # back, for other tests


def test_switching_language_changes_words_and_number_formats(open_page: OpenPage) -> None:
    page = open_page("/")
    gauge = page.locator(f'[data-list="flood"] [data-entity-id="{city.FLOOD}ui-lai-thieu"]')
    expect(gauge).to_contain_text("0,35 m")
    expect(page.locator(".clock time")).to_have_text(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    expect(gauge).to_have_attribute("data-state", "flood-alert")
    expect(page.get_by_text("Vượt mức cảnh báo").first).to_be_visible()

    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=re.compile("Air quality now"))).to_be_visible()
    expect(gauge).to_contain_text("0.35 m")
    expect(page.locator(".clock time")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d$")
    )
    expect(page.get_by_text("Above alert level").first).to_be_visible()
    shoot(page, "public-en")

    # The choice is kept; Vietnamese search works with or without diacritics.
    page.reload()
    page.wait_for_function("() => window.__cityioc.ready")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Search places and sensors").fill("di an")
    expect(page.locator(".search-results")).to_contain_text("Trạm quan trắc không khí Dĩ An")
    page.get_by_label("Search places and sensors").fill("Dĩ An")
    expect(page.locator(".search-results")).to_contain_text("Phường Dĩ An")
    page.get_by_role("button", name="VI").click()


def test_entity_detail_charts_a_series_and_zooms_with_the_period(open_page: OpenPage) -> None:
    station = city.AQ + "ui-tdm"
    page = open_page(f"/entity/{station}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Trạm quan trắc không khí Thủ Dầu Một"
    )
    chart = page.locator("figure.series-chart")
    expect(chart).to_have_attribute("data-period", "PT1H")  # 7 days: hourly
    expect(chart.locator("canvas")).to_have_count(1)
    points = int(chart.get_attribute("data-points") or 0)
    assert points >= 40  # two days of hourly averages
    page.get_by_role("button", name="6 giờ").click()
    expect(chart).to_have_attribute("data-period", "PT5M")
    page.get_by_role("button", name="1 năm").click()
    expect(chart).to_have_attribute("data-period", "P1D")
    page.get_by_role("button", name="24 giờ").click()
    expect(chart).to_have_attribute("data-period", "PT5M")
    shoot(page, "entity")


def test_alerts_and_incidents_appear_live_and_go_when_deleted(
    open_page: OpenPage, ui_server: ServerProcess
) -> None:
    page = open_page("/ops", key=True)
    expect(page.locator('[data-kpi="alerts"] .kpi-value')).to_have_text("0")
    alert = "urn:ngsi-ld:Alert:ui-flood-1"
    body = {
        "id": alert,
        "type": "Alert",
        "category": {"type": "Property", "value": "naturalDisaster"},
        "subCategory": {"type": "Property", "value": "flood"},
        "capSeverity": {"type": "Property", "value": "Severe"},
        "status": {"type": "Property", "value": "active"},
        "title": {"type": "LanguageProperty", "languageMap": {"vi": "Ngập tại Lái Thiêu"}},
        "location": city.point(106.70, 10.905),
    }
    auth = {"Authorization": f"Bearer {ADMIN}"}
    r = httpx.post(f"{ui_server.url}/ngsi-ld/v1/entities", json=body, headers=auth)
    assert r.status_code == 201, r.text
    try:
        marker = page.locator(f'.leaflet-marker-pane [data-entity-id="{alert}"]')
        expect(marker).to_have_attribute("data-state", "sev-Severe")
        expect(page.locator('[data-kpi="alerts"] .kpi-value')).to_have_text("1")
        shoot(page, "ops-alert")
    finally:
        httpx.delete(f"{ui_server.url}/ngsi-ld/v1/entities/{alert}", headers=auth)
    expect(page.locator(f'[data-entity-id="{alert}"]')).to_have_count(0)
    expect(page.locator('[data-kpi="alerts"] .kpi-value')).to_have_text("0")
