"""Accessibility and sizes: axe-core finds no serious violation (contrast, labels, names), the
map's markers work from the keyboard, pages fit 360 px and scale up on a 4K wall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui import city
from tests.ui.conftest import OpenPage, missing, shoot

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    if not AXE.is_file():
        missing("axe-core is not installed: run `make ui` (npm ci in frontend/)")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    return [
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path", ["/", "/ops", f"/entity/{city.AQ}ui-tdm", "/wall?rotate=600", "/admin", "/admin/rules"]
)
def test_pages_have_no_serious_accessibility_violations(open_page: OpenPage, path: str) -> None:
    page = open_page(path, key=True)
    page.wait_for_timeout(500)  # the chart and map settle
    assert serious_violations(page) == []


def test_markers_work_from_the_keyboard(open_page: OpenPage) -> None:
    page = open_page("/ops", key=True)
    station = city.AQ + "ui-dian"
    icon = page.locator(".leaflet-marker-icon", has=page.locator(f'[data-entity-id="{station}"]'))
    expect(icon).to_have_attribute("tabindex", "0")
    icon.focus()
    page.keyboard.press("Enter")
    panel = page.locator(f'.detail-panel[data-detail="{station}"]')
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(icon).to_be_focused()  # focus returns to the marker


def test_pages_fit_a_phone_and_scale_up_on_a_4k_wall(open_page: OpenPage) -> None:
    for path, name in (("/", "public-360"), ("/ops", "ops-360")):
        page = open_page(path, key=True, width=360, height=740)
        overflow = page.evaluate("document.scrollingElement.scrollWidth")
        assert overflow <= 361, f"{path} is {overflow} px wide at 360 px"
        shoot(page, name)
    wall = open_page("/wall?rotate=600", key=True, width=3840, height=2160)
    size = wall.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.page-wall')).fontSize)"
    )
    assert size >= 40  # readable from across the room
    assert wall.evaluate("document.scrollingElement.scrollWidth") <= 3841
    shoot(wall, "wall-4k")
