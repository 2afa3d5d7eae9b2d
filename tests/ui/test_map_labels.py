"""The area names on the map: where the Bình Dương pack's wards and communes (36 today) crowd
together at the province's extent, only names that do not overlap are shown; zooming in brings
the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.e2e.server import ServerProcess
from tests.ui import pack_server
from tests.ui.conftest import READY

BOXES = """() => [...document.querySelectorAll('.area-label span')]
  .filter((s) => getComputedStyle(s).visibility !== 'hidden')
  .map((s) => s.getBoundingClientRect())
  .map((r) => [r.left, r.top, r.right, r.bottom])"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with pack_server.serve_pack(tmp_path_factory.mktemp("labels-ui")) as proc:
        yield proc


def _overlapping(boxes: list[list[float]]) -> int:
    return sum(
        1
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    )


def test_crowded_area_names_are_thinned_out_and_return_when_zoomed_in(
    browser: Browser, server: ServerProcess
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{server.url}/")
        page.wait_for_function(READY, timeout=15_000)
        page.wait_for_function("() => document.querySelectorAll('.area-label span').length > 30")
        total = page.locator(".area-label span").count()
        shown = page.evaluate(BOXES)
        assert 5 < len(shown) < total  # some names had to give way
        assert _overlapping(shown) == 0
        page.locator(".leaflet-control-zoom-in").click()
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(600)  # the zoom animation, then the labels are laid out again
        closer = page.evaluate(BOXES)
        assert _overlapping(closer) == 0
        on_screen = [b for b in closer if b[2] > 0 and b[0] < 1280 and b[3] > 0 and b[1] < 800]
        assert on_screen and len(closer) > len(shown)  # room for more names
    finally:
        page.close()
