"""Browser tests: Debian's Chromium driven by Playwright against a real ``cityioc serve`` with a
small city loaded. Screenshots of every page go to ``test-output/screenshots/`` for review.

Needs the built UI (``make ui``) and ``/usr/bin/chromium`` (``make test`` installs both on Debian);
without them the tests skip, except in CI (``CITYIOC_REQUIRE_SERVICES=1``), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from cityioc.web.ui import STATIC
from tests.e2e.server import ServerProcess
from tests.services import services_required
from tests.ui import city

CHROMIUM = os.environ.get("CITYIOC_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN = "cio_ui-tests-admin-key"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
READY = "() => window.__cityioc && window.__cityioc.ready"

OpenPage = Callable[..., Page]


def missing(what: str) -> None:
    if services_required():
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if not (STATIC / "index.html").is_file():
        missing("the web UI is not built: run `make ui` (npm ci && npm run build in frontend/)")
    workdir = tmp_path_factory.mktemp("ui")
    server = ServerProcess(f"sqlite:///{workdir / 'ui.db'}", ADMIN, workdir)
    server.start()
    try:
        city.load(server.url, ADMIN)
        yield server
    finally:
        server.stop()


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread
# while it is open, which would break the asyncio tests that pytest runs after the UI modules.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        missing(f"no {CHROMIUM}: `apt-get install -y chromium` (make test does it on Debian)")
    with sync_playwright() as playwright:
        b = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(browser: Browser, ui_server: ServerProcess) -> Iterator[OpenPage]:
    """Open a page of the UI as the public or (``key=True``) as an operator using the API-key
    fallback; fails the test on any uncaught error in the page."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_(
        path: str, *, key: bool = False, width: int = 1440, height: int = 900, wait: bool = True
    ) -> Page:
        page = watched_page(browser, contexts, errors, width=width, height=height)
        if key:
            page.add_init_script(f"sessionStorage.setItem('cityioc.apiKey', '{ADMIN}')")
        page.goto(ui_server.url + path)
        if wait:
            page.wait_for_function(READY, timeout=15_000)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


def watched_page(
    browser: Browser,
    contexts: list[BrowserContext],
    errors: list[str],
    *,
    width: int = 1440,
    height: int = 900,
) -> Page:
    """A page in a fresh Vietnamese browser context (added to ``contexts`` for closing); uncaught
    page errors and any request leaving the server are added to ``errors``."""
    # bypass_csp: Playwright evaluates test expressions with eval, which the page's CSP forbids.
    context = browser.new_context(
        viewport={"width": width, "height": height}, bypass_csp=True, locale="vi-VN"
    )
    contexts.append(context)
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    # Offline by design: nothing but the server itself (no CDN, no font or tile service).
    page.on("request", lambda req: _check_local(req.url, errors))
    return page


def _check_local(url: str, errors: list[str]) -> None:
    host = urlsplit(url).hostname
    if not url.startswith(("data:", "blob:")) and host not in ("127.0.0.1", "localhost"):
        errors.append(f"fetched {url}")


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
