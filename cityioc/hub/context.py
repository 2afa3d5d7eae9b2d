"""NGSI-LD @context: where it comes from, how it is resolved, and names expanded/compacted with it.

Usage in the web layer::

    headers = request.headers
    spec = context_from_request(headers.get("content-type"), headers.get("link"), body)
    ctx = await resolver.resolve(spec)            # async: may fetch a remote context once
    stored = ctx.expand_entity_keys(body)         # sync, memoised: the hot path
    out = ctx.compact_entity_keys(stored)         # and back, per entity, on output
    if ctx.link_header: response.headers["Link"] = ctx.link_header

The core context always applies last, over every user context: user contexts add terms but can
never redefine core ones (``location``, ``status``, ``description``…) nor its ``@vocab``, so an
undefined name ``pm25`` is ``https://uri.etsi.org/ngsi-ld/default-context/pm25`` for everybody.
Published core and Smart Data Models URLs are served from ``cityioc/hub/contexts`` (offline); other
URLs are fetched once (``context_fetch``). Modules: ``context_request`` (headers and body),
``context_docs`` (shipped documents), ``context_terms`` (term definitions → IRIs),
``context_active`` (expansion/compaction), ``context_fetch`` (remote documents).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from functools import cache
from typing import Any

import httpx
import orjson

from cityioc.core.errors import BadRequestData
from cityioc.hub.context_active import ActiveContext
from cityioc.hub.context_docs import (
    CORE_CONTEXT_URL,
    core_document,
    is_core_context_url,
    shipped_document,
)
from cityioc.hub.context_fetch import RemoteContexts
from cityioc.hub.context_request import (
    ContextSpec,
    context_from_request,
    format_link_header,
    parse_link_header,
)
from cityioc.hub.context_terms import build_table

__all__ = [
    "CORE_CONTEXT_URL",
    "ActiveContext",
    "ContextResolver",
    "ContextSpec",
    "context_from_request",
    "core_context",
    "parse_link_header",
]

MAX_DEPTH = 8  # remote contexts referring to remote contexts…

LocalContext = Mapping[str, Any]


class ContextResolver:
    """Turns a request's raw @context into an ActiveContext, caching both documents and results."""

    def __init__(
        self,
        *,
        fetch_timeout_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
        cache_size: int = 256,
        failure_ttl_s: float = 10.0,
    ) -> None:
        self._remote = RemoteContexts(
            client, timeout_s=fetch_timeout_s, max_entries=cache_size, failure_ttl_s=failure_ttl_s
        )
        self._cache_size = cache_size
        self._resolved: OrderedDict[bytes, ActiveContext] = OrderedDict()

    async def resolve(self, spec: ContextSpec) -> ActiveContext:
        """The active context for ``spec``; raises LdContextNotAvailable or BadRequestData."""
        if spec is None:
            return core_context()
        try:
            key = orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as err:
            raise BadRequestData(f"@context is not plain JSON: {err}") from err
        hit = self._resolved.get(key)
        if hit is not None:
            self._resolved.move_to_end(key)
            return hit
        user = await self._flatten(spec, depth=0)
        # the cache outlives the request: keep our own copy of its @context, not the body's
        active = _active_context(user, orjson.loads(key))
        self._resolved[key] = active
        while len(self._resolved) > self._cache_size:
            self._resolved.popitem(last=False)
        return active

    async def aclose(self) -> None:
        await self._remote.aclose()

    async def _flatten(self, spec: Any, *, depth: int) -> list[LocalContext]:
        """The local contexts of ``spec`` in order: remote ones fetched, core ones dropped."""
        if depth > MAX_DEPTH:
            raise BadRequestData(f"@context nests remote contexts more than {MAX_DEPTH} deep")
        items = spec if isinstance(spec, list) else [spec]
        urls = [item for item in items if isinstance(item, str)]
        loaded = iter(await asyncio.gather(*(self._load(url) for url in urls)) if urls else ())
        out: list[LocalContext] = []
        for item in items:
            if item is None:
                out = []  # JSON-LD: null resets the user contexts (the core stays)
            elif isinstance(item, str):
                document_context = next(loaded)
                if document_context is not None:
                    out += await self._flatten(document_context, depth=depth + 1)
            elif isinstance(item, Mapping):
                imported = item.get("@import")
                if isinstance(imported, str):
                    out += await self._flatten(imported, depth=depth + 1)
                out.append(item)
            else:
                raise BadRequestData("@context entries must be URLs, objects or null")
        return out

    async def _load(self, url: str) -> Any:
        """The @context member behind ``url``; None for the core context (it is added anyway)."""
        if is_core_context_url(url):
            return None
        shipped = shipped_document(url)
        if shipped is not None:
            return shipped["@context"]
        if not url.startswith(("http://", "https://")):
            raise BadRequestData(f"@context URL must be an absolute http(s) URL: {url!r}")
        return await self._remote.get(url)


@cache
def core_context() -> ActiveContext:
    """The active context of a request that brings none: the core context alone."""
    return ActiveContext(
        build_table([core_document()["@context"]]), link_header=None, body_context=CORE_CONTEXT_URL
    )


def _active_context(user: list[LocalContext], spec: ContextSpec) -> ActiveContext:
    core = core_document()["@context"]
    table = build_table([*user, core])  # the core last: it wins every conflict
    return ActiveContext(table, link_header=_link_header(spec), body_context=_body_context(spec))


def _link_header(spec: ContextSpec) -> str | None:
    """A Link header can name one URL: only a single non-core URL (core URLs aside) fits."""
    items = spec if isinstance(spec, list) else [spec]
    rest = [i for i in items if not (isinstance(i, str) and is_core_context_url(i))]
    if len(rest) == 1 and isinstance(rest[0], str):
        return format_link_header(rest[0])
    return None


def _body_context(spec: ContextSpec) -> Any:
    """The @context for application/ld+json responses: the client's, with the core last."""
    items: list[Any] = spec if isinstance(spec, list) else [spec]
    if any(isinstance(i, str) and is_core_context_url(i) for i in items):
        return spec
    return [*items, CORE_CONTEXT_URL]
