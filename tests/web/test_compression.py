"""gzip for what the web UI loads (its script, the entity lists), never for the live stream."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sse_starlette.sse import EventSourceResponse

from cityioc.web import ui

GZIP = {"Accept-Encoding": "gzip"}


def _app(static: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/entities")
    async def entities() -> list[dict[str, object]]:
        return [{"id": f"urn:ngsi-ld:Streetlight:{n}", "type": "Streetlight"} for n in range(100)]

    @app.get("/small")
    async def small() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/live")
    async def live() -> EventSourceResponse:
        async def events() -> AsyncIterator[dict[str, str]]:
            for n in range(50):
                yield {"event": "entity", "data": "x" * 100 + str(n)}

        return EventSourceResponse(events())

    ui.mount(app, static)
    ui.compress(app)
    return app


def test_large_responses_and_assets_are_gzipped_for_clients_that_ask(tmp_path: Path) -> None:
    script = "export const a = 1;\n" * 500
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "index-x.js").write_text(script)
    with TestClient(_app(tmp_path)) as client:
        r = client.get("/entities", headers=GZIP)
        assert r.headers["content-encoding"] == "gzip"
        assert len(r.json()) == 100
        r = client.get("/ui/assets/index-x.js", headers=GZIP)
        assert r.headers["content-encoding"] == "gzip" and r.text == script
        assert int(r.headers["content-length"]) < len(script) / 10
        assert "immutable" in r.headers["cache-control"]
        assert "content-encoding" not in client.get("/small", headers=GZIP).headers
        plain = client.get("/entities", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers


def test_the_live_stream_is_never_compressed(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        r = client.get("/live", headers=GZIP)
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        assert "event: entity" in r.text
        assert not r.content.startswith(gzip.compress(b"")[:2])
