"""The web UI: the built single-page app (``frontend/`` → ``cityioc/web/static/ui``) and the small
``GET /api/v1/ui/config`` it starts from (region, map view, tiles, layers, who is asking).

Hashed assets under ``/ui/assets/`` are cached for a year; ``index.html`` answers the app's own
routes (``/``, ``/ops``, ``/entity/…``, ``/wall``, ``/signin``) and is never cached, so a new build
is picked up at the next load. The routes are added after every API router and are exact, so they
never shadow ``/api``, ``/ngsi-ld``, ``/docs`` or ``/metrics``.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from fastapi import APIRouter, FastAPI, Request
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from cityioc.core.settings import Settings
from cityioc.packs.models import Manifest
from cityioc.packs.validate import MANIFEST, resolve
from cityioc.web.ngsi_http import principal_of
from cityioc.web.state import city

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static" / "ui"
SPA_PATHS = (
    "/",
    "/ops",
    "/wall",
    "/signin",
    "/ops/{rest:path}",
    "/entity/{rest:path}",
    "/alerts",
    "/incidents",
    "/incidents/{rest:path}",
    "/admin",
    "/admin/{rest:path}",
)
YEAR = "public, max-age=31536000, immutable"

# The map's layers and the entity types each draws; the page styles them (frontend/src/model/
# layers.ts). A layer is public when all its types are in `public_types`.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("air", ("AirQualityObserved",)),
    ("flood", ("FloodMonitoring",)),
    ("weather", ("WeatherObserved",)),
    ("water", ("WaterObserved",)),
    ("traffic", ("TrafficFlowObserved",)),
    ("parking", ("OffStreetParking",)),
    ("noise", ("NoiseLevelObserved",)),
    ("streetlight", ("Streetlight",)),
    ("alerts", ("Alert",)),
    ("incidents", ("Incident",)),
    ("areas", ("AdministrativeArea",)),
    ("roads", ("Road",)),
)

router = APIRouter(prefix="/api/v1/ui", tags=["ui"])


@functools.lru_cache(maxsize=8)
def _manifest(pack: str) -> Manifest | None:
    """The pack's manifest (title, time zone, map view); None when it cannot be read."""
    try:
        raw = yaml.safe_load((resolve(pack) / MANIFEST).read_text(encoding="utf-8-sig"))
        return Manifest.model_validate(raw)
    except (OSError, ValueError, yaml.YAMLError) as err:  # pydantic errors are ValueErrors
        log.warning("ui: cannot read the manifest of pack %r: %s", pack, err)
        return None


def ui_config(settings: Settings, role: str | None, actor: str) -> dict[str, Any]:
    manifest = _manifest(settings.city_pack) if settings.city_pack else None
    center: list[float] | None = None
    zoom: float | None = None
    if manifest is not None and manifest.map is not None:
        center, zoom = list(manifest.map.center), manifest.map.zoom
    if settings.map_center is not None:
        center = list(settings.map_center)
    if settings.map_zoom is not None:
        zoom = settings.map_zoom
    public = set(settings.public_types)
    return {
        "title": manifest.title.model_dump() if manifest is not None else None,
        "timezone": manifest.timezone if manifest is not None else "Asia/Ho_Chi_Minh",
        "locales": ["vi", "en"],
        "map": {
            "center": center,  # [lon, lat]; null: fit the loaded entities
            "zoom": zoom,
            "tilesUrl": settings.map_tiles_url or None,
            "tilesAttribution": settings.map_tiles_attribution or None,
        },
        "publicTypes": sorted(public),
        "layers": [
            {"id": layer, "types": list(types), "public": all(t in public for t in types)}
            for layer, types in LAYERS
        ],
        "viewer": {"actor": actor, "role": role},
    }


@router.get("/config", summary="What the web UI starts from: region, map view, tiles, layers")
async def config(request: Request) -> dict[str, Any]:
    """Public. With an API key, ``viewer`` names its role (401 when the key is not valid)."""
    principal = await principal_of(request)
    role = principal.role.value if principal.role is not None else None
    return ui_config(city(request).settings, role, principal.actor)


class _Assets(StaticFiles):
    """Static files; content-hashed ones (``assets/``) are cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            hashed = path.replace("\\", "/").startswith("assets/")
            response.headers["Cache-Control"] = YEAR if hashed else "no-cache"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _tile_source(url: str) -> str:
    """The CSP source of the tiles URL (``https://{s}.tile.x.org/…`` → ``https://*.tile.x.org``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f" {parts.scheme}://{host}"


def security_headers(settings: Settings) -> dict[str, str]:
    tiles = _tile_source(settings.map_tiles_url) if settings.map_tiles_url else ""
    policy = (
        "default-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; "
        f"img-src 'self' data: blob:{tiles}; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


NOT_BUILT = """<!doctype html><html lang="vi"><meta charset="utf-8"><title>cityioc</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>Giao diện web chưa được build</h1><p>Chạy <code>make ui</code> (cần npm) rồi tải lại trang.</p>
<h2 lang="en">The web UI is not built</h2><p lang="en">Run <code>make ui</code> (needs npm), then
reload. The API is at <a href="/docs">/docs</a>.</p></body></html>"""


def compress(app: FastAPI) -> None:
    """gzip, for clients that ask for it, every response of 1 KB or more: what the UI loads is
    mostly its script and the entity lists (NGSI-LD JSON, a tenth of its size compressed).
    Starlette never compresses the live stream (``text/event-stream``, which must flush event by
    event), fonts or images (already compressed), nor a response that has an encoding already.
    Level 5: nearly level 9's size at a fraction of its CPU (compression runs in a thread)."""
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)


def mount(app: FastAPI, static: Path = STATIC) -> None:
    """Add the UI's routes; call after every API router so that the API wins."""
    index = static / "index.html"

    async def spa(request: Request) -> Response:
        headers = security_headers(city(request).settings)
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers=headers)
        return HTMLResponse(index.read_bytes(), headers=headers)

    for path in SPA_PATHS:
        app.add_api_route(path, spa, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/ui", _Assets(directory=static, check_dir=False), name="ui")
