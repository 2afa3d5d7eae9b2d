"""Signing in with an account (cookie session + CSRF), and a map whose tiles cannot be reached."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.server import ServerProcess
from tests.ui import city
from tests.ui.conftest import ADMIN, READY, OpenPage, shoot

pytestmark = pytest.mark.e2e
PASSWORD = "ui-tests-correct-horse-7"


def create_user(server: ServerProcess, username: str, role: str) -> None:
    command = [sys.executable, "-m", "cityioc.cli", "users", "create", username]
    command += ["--role", role, "--password-stdin", "--database-url", server.database_url]
    done = subprocess.run(
        command,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 and "No such command" in done.stderr:
        pytest.skip("this build has no user accounts (cityioc users)")
    assert done.returncode == 0, done.stderr


def test_an_operator_signs_in_with_an_account_and_out_again(
    open_page: OpenPage, ui_server: ServerProcess
) -> None:
    create_user(ui_server, "ui-lan", "operator")
    page = open_page("/ops", wait=False)
    page.wait_for_url("**/signin?next=%2Fops")  # the operations page needs a signed-in user
    page.get_by_label("Tên đăng nhập").fill("ui-lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_url("**/ops")
    page.wait_for_function(READY)
    expect(page.locator(".user-name")).to_have_text("ui-lan")
    # Signed in, the non-public layers come: streetlights are on the map (clustered, maybe).
    page.wait_for_function(
        "() => window.__cityioc.mapStates()['urn:ngsi-ld:Streetlight:ui-1'] === 'light-on'"
    )
    shoot(page, "ops-signed-in")
    page.get_by_role("button", name="Đăng xuất").click()  # DELETE with the CSRF token
    expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()
    cookies = page.context.cookies()
    assert not [c for c in cookies if c["name"] == "cityioc_session" and c["value"]]


def test_a_wrong_password_is_said_so(open_page: OpenPage, ui_server: ServerProcess) -> None:
    create_user(ui_server, "ui-minh", "viewer")
    page = open_page("/signin", wait=False)
    page.get_by_label("Tên đăng nhập").fill("ui-minh")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Đăng nhập không thành công")


@pytest.fixture(scope="module")
def server_without_tiles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Tiles configured on a port where nothing listens: as in a room cut off from the tiles."""
    workdir: Path = tmp_path_factory.mktemp("tiles")
    env = {"CITYIOC_MAP_TILES_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png"}
    server = ServerProcess(f"sqlite:///{workdir / 'tiles.db'}", ADMIN, workdir, env)
    server.start()
    try:
        city.load(server.url, ADMIN)
        yield server
    finally:
        server.stop()


def test_unreachable_tiles_leave_areas_points_and_labels(
    browser: Browser, server_without_tiles: ServerProcess
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(server_without_tiles.url + "/")
        page.wait_for_function(READY)
        expect(page.locator(".map-notice")).to_contain_text("Không tải được bản đồ nền")
        expect(page.locator(".city-map")).to_have_attribute("data-tiles", "off")
        expect(page.locator(".area-label", has_text="Phường Thủ Dầu Một")).to_be_visible()
        station = page.locator(f'.leaflet-marker-pane [data-entity-id="{city.AQ}ui-dian"]')
        expect(station).to_have_attribute("data-state", "aqi-moderate")
        shoot(page, "public-tiles-unreachable")
    finally:
        context.close()
