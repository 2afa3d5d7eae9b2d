"""For the browser tests that need the whole Bình Dương pack (areas, agencies, procedures, rules)
rather than the small city: a real ``cityioc serve`` holding it, accounts made with the CLI as an
operator would, and a browser signed in with one of them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from cityioc.packs.validate import builtin_packs
from cityioc.web.ui import STATIC
from tests.e2e.server import ServerProcess
from tests.ui.conftest import ADMIN, READY, missing, watched_page

FLEET_FILES = ("sensors.csv", "roads.yaml", "sensor-lines.yaml")  # not needed: faster to load


def cli(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cityioc.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def serve_pack(workdir: Path) -> Iterator[ServerProcess]:
    """The server on a new SQLite database in ``workdir`` with the pack loaded, stopped after."""
    if not (STATIC / "index.html").is_file():
        missing("the web UI is not built: run `make ui` (npm ci && npm run build in frontend/)")
    pack = workdir / "binh-duong"
    shutil.copytree(
        builtin_packs()["binh-duong"], pack, ignore=shutil.ignore_patterns(*FLEET_FILES, "__*")
    )
    url = f"sqlite:///{workdir / 'city.db'}"
    cli("pack", "load", str(pack), "--database-url", url)
    proc = ServerProcess(url, ADMIN, workdir)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def create_user(
    server: ServerProcess, username: str, role: str, password: str, agency: str | None = None
) -> None:
    args = ["users", "create", username, "--role", role, "--password-stdin"]
    args += ["--database-url", server.database_url]
    if agency:
        args += ["--agency", agency]
    cli(*args, stdin=password + "\n")


def sign_in(
    browser: Browser,
    contexts: list[BrowserContext],
    errors: list[str],
    server: ServerProcess,
    username: str,
    password: str,
) -> Page:
    """A fresh browser signed in with an account (cookie session + CSRF), on the ops page; page
    errors and any request leaving the server are added to ``errors``."""
    page = watched_page(browser, contexts, errors, height=1000)
    page.goto(server.url + "/signin?next=%2Fops")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_url("**/ops")
    page.wait_for_function(READY, timeout=15_000)
    return page
