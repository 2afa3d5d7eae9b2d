"""Resolving @context specs: shipped documents offline, remote ones fetched once, failures clean.

Remote contexts come from a tiny HTTP server on 127.0.0.1; nothing here touches the internet.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from cityioc.core.errors import BadRequestData, LdContextNotAvailable
from cityioc.hub.context import CORE_CONTEXT_URL, ContextResolver, core_context

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
SDM_ENV = "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"
SDM_URLS = [
    SDM_ENV,
    "https://smart-data-models.github.io/dataModel.Weather/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Alert/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.WaterQuality/master/context.jsonld",
    "https://smartdatamodels.org/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld",
    CORE_CONTEXT_URL,
]


@dataclass
class Route:
    responses: list[tuple[int, bytes]]  # served in turn, the last one repeats
    delay_s: float = 0.0  # before the response
    byte_delay_s: float = 0.0  # between body bytes: slow but never silent for long


def ld(context: Any) -> tuple[int, bytes]:
    return 200, orjson.dumps({"@context": context})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out hang up on us: expected here


class ContextServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _answer(self, path: str) -> tuple[int, bytes, Route]:
        with self._lock:
            self.hits[path] += 1
            route = self.routes.get(path, Route([(404, b"{}")]))
            status, body = route.responses[min(self.hits[path], len(route.responses)) - 1]
            return status, body, route

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, route = server._answer(self.path)
                server._stop.wait(route.delay_s)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/ld+json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        if route.byte_delay_s and server._stop.wait(route.byte_delay_s):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[ContextServer]:
    srv = ContextServer()
    yield srv
    srv.close()


def run(test: Callable[[ContextResolver], Coroutine[Any, Any, None]], **kwargs: Any) -> None:
    """Run ``test`` with a resolver whose HTTP client ignores proxies (the server is local)."""

    async def go() -> None:
        async with httpx.AsyncClient(trust_env=False) as client:
            resolver = ContextResolver(client=client, **kwargs)
            try:
                await test(resolver)
            finally:
                await resolver.aclose()

    asyncio.run(go())


def test_core_and_smart_data_models_urls_never_touch_the_network() -> None:
    requests: list[str] = []

    def no_network(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        raise AssertionError(f"fetched {request.url}")

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(no_network)) as client:
            resolver = ContextResolver(client=client)
            for url in SDM_URLS:
                await resolver.resolve(url)
            ctx = await resolver.resolve([*SDM_URLS[:3], {"extra": "https://example.org/extra"}])
            assert (
                ctx.expand_term("pm25") == "https://smartdatamodels.org/dataModel.Environment/pm25"
            )
            assert ctx.expand_type("WeatherObserved") == (
                "https://smartdatamodels.org/dataModel.Weather/WeatherObserved"
            )
            assert ctx.expand_term("intensity") == (
                "https://smartdatamodels.org/dataModel.Transportation/intensity"
            )
            await resolver.aclose()
            assert not client.is_closed  # a client we are given stays the caller's

    asyncio.run(go())
    assert requests == []


def test_no_context_is_the_core() -> None:
    async def go(resolver: ContextResolver) -> None:
        ctx = await resolver.resolve(None)
        assert ctx is core_context()
        assert ctx.link_header is None and ctx.body_context == CORE_CONTEXT_URL
        core = await resolver.resolve(CORE_CONTEXT_URL)
        assert core.link_header is None and core.body_context == CORE_CONTEXT_URL
        assert core.expand_term("pm25") == DEFAULT + "pm25"

    run(go)


def test_a_remote_context_is_fetched_once(server: ContextServer) -> None:
    server.routes["/ctx.jsonld"] = Route([ld({"pm25": "https://example.org/pm25"})])
    url = server.url("/ctx.jsonld")

    async def go(resolver: ContextResolver) -> None:
        first = await resolver.resolve(url)
        assert first.expand_term("pm25") == "https://example.org/pm25"
        assert first.link_header == (
            f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
        )
        assert first.body_context == [url, CORE_CONTEXT_URL]
        assert await resolver.resolve(url) is first
        mixed = await resolver.resolve(
            [url, {"pm10": "https://example.org/pm10"}, CORE_CONTEXT_URL]
        )
        assert mixed.expand_term("pm25") == "https://example.org/pm25"
        assert mixed.link_header is None  # an inline part cannot travel in a Link header
        assert (await resolver.resolve([url, CORE_CONTEXT_URL])).link_header == first.link_header
        inline = {"pm10": "https://example.org/pm10"}
        body_context = (await resolver.resolve(inline)).body_context
        inline["pm10"] = "https://example.org/changed"
        assert body_context == [{"pm10": "https://example.org/pm10"}, CORE_CONTEXT_URL]

    run(go)
    assert server.hits["/ctx.jsonld"] == 1


def test_concurrent_resolves_share_one_fetch(server: ContextServer) -> None:
    server.routes["/slow.jsonld"] = Route([ld({"a": "https://example.org/a"})], delay_s=0.3)
    url = server.url("/slow.jsonld")

    async def go(resolver: ContextResolver) -> None:
        specs: list[Any] = [url] * 10 + [[url, {"b": "https://example.org/b"}]] * 10
        contexts = await asyncio.gather(*(resolver.resolve(s) for s in specs))
        assert {c.expand_term("a") for c in contexts} == {"https://example.org/a"}

    run(go)
    assert server.hits["/slow.jsonld"] == 1


def test_a_timeout_is_ld_context_not_available(server: ContextServer) -> None:
    server.routes["/stuck.jsonld"] = Route([ld({})], delay_s=30)
    url = server.url("/stuck.jsonld")

    async def go(resolver: ContextResolver) -> None:
        start = time.monotonic()
        with pytest.raises(LdContextNotAvailable) as err:
            await resolver.resolve(url)
        assert url in err.value.detail
        assert time.monotonic() - start < 3

    run(go, fetch_timeout_s=0.3)


def test_a_slow_trickle_is_cut_by_the_total_budget(server: ContextServer) -> None:
    # each byte comes well within httpx's read timeout; only the total budget stops this
    server.routes["/trickle.jsonld"] = Route(
        [ld({"a": "https://example.org/" + "a" * 60})], byte_delay_s=0.1
    )
    url = server.url("/trickle.jsonld")

    async def go(resolver: ContextResolver) -> None:
        start = time.monotonic()
        with pytest.raises(LdContextNotAvailable, match="within"):
            await resolver.resolve(url)
        assert time.monotonic() - start < 3

    run(go, fetch_timeout_s=0.5)


def test_an_unreachable_server_is_ld_context_not_available() -> None:
    with socket.socket() as sock:  # a port nobody listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/ctx.jsonld"

    async def go(resolver: ContextResolver) -> None:
        with pytest.raises(LdContextNotAvailable) as err:
            await resolver.resolve(url)
        assert url in err.value.detail

    run(go, fetch_timeout_s=2)


@pytest.mark.parametrize(
    "response",
    [
        (404, b"{}"),
        (500, b'{"@context": {}}'),
        (200, b"<html>not json</html>"),
        (200, b'{"context": {}}'),
        (200, b"[1, 2]"),
    ],
    ids=["404", "500", "not-json", "no-@context", "not-an-object"],
)
def test_bad_documents_are_ld_context_not_available(
    server: ContextServer, response: tuple[int, bytes]
) -> None:
    server.routes["/bad.jsonld"] = Route([response])
    url = server.url("/bad.jsonld")

    async def go(resolver: ContextResolver) -> None:
        with pytest.raises(LdContextNotAvailable) as err:
            await resolver.resolve(url)
        assert url in err.value.detail

    run(go)


def test_a_failure_is_remembered_only_briefly(server: ContextServer) -> None:
    server.routes["/flaky.jsonld"] = Route([(503, b"{}"), ld({"a": "https://example.org/a"})])
    url = server.url("/flaky.jsonld")

    async def go(resolver: ContextResolver) -> None:
        for _ in range(2):
            with pytest.raises(LdContextNotAvailable):
                await resolver.resolve(url)
        assert server.hits["/flaky.jsonld"] == 1  # the second failure came from memory
        await asyncio.sleep(0.4)
        assert (await resolver.resolve(url)).expand_term("a") == "https://example.org/a"

    run(go, failure_ttl_s=0.3)
    assert server.hits["/flaky.jsonld"] == 2


def test_remote_contexts_referring_to_others_are_resolved(server: ContextServer) -> None:
    inner = server.url("/inner.jsonld")
    server.routes["/inner.jsonld"] = Route([ld({"y": "https://example.org/y"})])
    server.routes["/outer.jsonld"] = Route(
        [ld([inner, {"x": "https://example.org/x"}, SDM_ENV, CORE_CONTEXT_URL])]
    )
    server.routes["/imports.jsonld"] = Route([ld({"@import": inner, "z": "https://example.org/z"})])

    async def go(resolver: ContextResolver) -> None:
        ctx = await resolver.resolve(server.url("/outer.jsonld"))
        assert ctx.expand_term("x") == "https://example.org/x"
        assert ctx.expand_term("y") == "https://example.org/y"
        assert ctx.expand_term("pm25") == "https://smartdatamodels.org/dataModel.Environment/pm25"
        imports = await resolver.resolve(server.url("/imports.jsonld"))
        assert imports.expand_term("y") == "https://example.org/y"
        assert imports.expand_term("z") == "https://example.org/z"

    run(go)
    assert server.hits == Counter({"/outer.jsonld": 1, "/inner.jsonld": 1, "/imports.jsonld": 1})


def test_a_context_that_includes_itself_is_rejected(server: ContextServer) -> None:
    url = server.url("/loop.jsonld")
    server.routes["/loop.jsonld"] = Route([ld(url)])

    async def go(resolver: ContextResolver) -> None:
        with pytest.raises(BadRequestData, match="deep"):
            await resolver.resolve(url)

    run(go)
    assert server.hits["/loop.jsonld"] == 1


@pytest.mark.parametrize(
    "spec", ["relative/ctx.jsonld", "ftp://example.org/ctx.jsonld", [42], [{"a": 42}], 42]
)
def test_malformed_specs_are_bad_request_data(spec: Any) -> None:
    async def go(resolver: ContextResolver) -> None:
        with pytest.raises(BadRequestData):
            await resolver.resolve(spec)

    run(go)
