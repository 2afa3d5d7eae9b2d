"""The Python side of the web UI: its config endpoint, the SPA routes and their headers, cached
assets — and that none of it shadows the API. In-process; no browser needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cityioc.core.settings import Settings
from cityioc.web import ui
from cityioc.web.app import create_app

ADMIN = "cio_test_ui-admin-key"


def app_with(tmp_path: Path, **settings: object) -> FastAPI:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'ui.db'}",
        "admin_key": ADMIN,
        "environment": "test",
        **settings,
    }
    return create_app(Settings(**values))  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app_with(tmp_path)) as c:
        yield c


def test_config_names_the_region_its_view_and_the_public_layers(client: TestClient) -> None:
    body = client.get("/api/v1/ui/config").json()
    assert body["title"]["vi"].startswith("Bình Dương")
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    assert body["map"] == {
        "center": [106.68, 11.05],
        "zoom": 10.5,
        "tilesUrl": None,
        "tilesAttribution": None,
    }
    layers = {layer["id"]: layer for layer in body["layers"]}
    assert layers["air"] == {"id": "air", "types": ["AirQualityObserved"], "public": True}
    assert layers["areas"]["public"] is True
    assert layers["streetlight"]["public"] is False
    assert layers["alerts"]["public"] is False
    assert body["viewer"] == {"actor": "public", "role": None}


def test_config_says_who_holds_the_key_and_refuses_a_bad_one(client: TestClient) -> None:
    me = client.get("/api/v1/ui/config", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert me["viewer"]["role"] == "admin"
    bad = client.get("/api/v1/ui/config", headers={"Authorization": "Bearer cio_nope_nope"})
    assert bad.status_code == 401


def test_settings_override_the_view_and_add_tiles_to_the_policy(tmp_path: Path) -> None:
    tiles = "https://{s}.tiles.example.vn/{z}/{x}/{y}.png"
    app = app_with(
        tmp_path, map_center=(106.7, 10.9), map_zoom=12, map_tiles_url=tiles, city_pack="nope"
    )
    with TestClient(app) as c:
        body = c.get("/api/v1/ui/config").json()
        assert body["title"] is None  # no such pack: the page falls back to its own words
        assert body["map"]["center"] == [106.7, 10.9]
        assert body["map"]["zoom"] == 12
        assert body["map"]["tilesUrl"] == tiles
        if (ui.STATIC / "index.html").is_file():
            policy = c.get("/").headers["content-security-policy"]
            assert "img-src 'self' data: blob: https://*.tiles.example.vn;" in policy


def test_app_routes_serve_the_page_and_the_api_still_wins(client: TestClient) -> None:
    for path in ("/", "/ops", "/wall", "/signin", "/entity/urn:ngsi-ld:AirQualityObserved:x"):
        r = client.get(path)
        assert r.status_code in (200, 503), path  # 503: the UI is not built (make ui)
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/api/v1/ui/config").headers["content-type"] == "application/json"
    assert client.get("/ngsi-ld/v1/entities?type=AirQualityObserved").json() == []
    assert "swagger" in client.get("/docs").text.lower()
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
    assert client.get("/api/v1/nothing-here").status_code == 404


def test_hashed_assets_are_cached_for_a_year(tmp_path: Path) -> None:
    static = tmp_path / "ui"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text('<script src="/ui/assets/app-1a2b3c.js"></script>')
    (static / "assets" / "app-1a2b3c.js").write_text("console.log('hi')")
    app = FastAPI()
    ui.mount(app, static)
    app.state.city = type("FakeCity", (), {"settings": Settings(environment="test")})()
    with TestClient(app) as c:
        page = c.get("/ops")
        assert page.text.startswith("<script")
        asset = c.get("/ui/assets/app-1a2b3c.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith("text/javascript")
        assert c.get("/ui/assets/missing.js").status_code == 404


def test_an_unbuilt_ui_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    ui.mount(app, tmp_path / "empty")
    app.state.city = type("FakeCity", (), {"settings": Settings(environment="test")})()
    with TestClient(app) as c:
        r = c.get("/")
        assert r.status_code == 503
        assert "make ui" in r.text
        assert "Giao diện web chưa được build" in r.text
