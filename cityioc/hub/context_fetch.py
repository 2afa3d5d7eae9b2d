"""Remote @context documents: fetched once, cached, with one fetch per URL at a time.

A failure is remembered only briefly (so a dead server is not hammered by every request) and
then retried; successes stay in a bounded LRU for the life of the process.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

import httpx
import orjson

from cityioc.core.errors import LdContextNotAvailable

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"


class RemoteContexts:
    """The ``@context`` member of remote documents, by URL."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        *,
        timeout_s: float,
        max_entries: int,
        failure_ttl_s: float,
    ) -> None:
        self._client = client
        self._own_client = client is None
        self._timeout_s = timeout_s
        self._max_entries = max_entries
        self._failure_ttl_s = failure_ttl_s
        self._ok: OrderedDict[str, Any] = OrderedDict()
        self._failed: dict[str, tuple[float, str]] = {}  # url → (retry after, detail)
        self._inflight: dict[str, asyncio.Task[Any]] = {}

    async def get(self, url: str) -> Any:
        if url in self._ok:
            self._ok.move_to_end(url)
            return self._ok[url]
        failed = self._failed.get(url)
        if failed is not None:
            if failed[0] > time.monotonic():
                raise LdContextNotAvailable(failed[1])
            del self._failed[url]
        task = self._inflight.get(url)
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_remember(url))
            self._inflight[url] = task
            task.add_done_callback(lambda t: self._forget(url, t))
        # shield: one caller giving up must not cancel the fetch the others wait for
        return await asyncio.shield(task)

    async def aclose(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _forget(self, url: str, task: asyncio.Task[Any]) -> None:
        self._inflight.pop(url, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so nobody is warned about an unawaited failure

    async def _fetch_and_remember(self, url: str) -> Any:
        try:
            value = await fetch_context(self._http(), url, self._timeout_s)
        except LdContextNotAvailable as err:
            if self._failure_ttl_s > 0:
                self._prune_failures()
                self._failed[url] = (time.monotonic() + self._failure_ttl_s, err.detail)
            raise
        self._ok[url] = value
        while len(self._ok) > self._max_entries:
            self._ok.popitem(last=False)
        return value

    def _prune_failures(self) -> None:
        if len(self._failed) >= self._max_entries:
            now = time.monotonic()
            self._failed = {u: f for u, f in self._failed.items() if f[0] > now}

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client


async def fetch_context(client: httpx.AsyncClient, url: str, timeout_s: float) -> Any:
    """GET ``url`` and return its ``@context`` member; every failure is LdContextNotAvailable."""
    try:
        async with asyncio.timeout(timeout_s):  # a total budget, not httpx's per-phase timeouts
            body = await _download(client, url, timeout_s)
    except TimeoutError as err:
        raise LdContextNotAvailable(f"@context {url}: no answer within {timeout_s:g} s") from err
    except httpx.HTTPError as err:
        raise LdContextNotAvailable(f"@context {url}: {type(err).__name__}: {err}") from err
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise LdContextNotAvailable(f"@context {url}: not a JSON document") from err
    if not isinstance(doc, dict) or "@context" not in doc:
        raise LdContextNotAvailable(f"@context {url}: the document has no @context member")
    return doc["@context"]


async def _download(client: httpx.AsyncClient, url: str, timeout_s: float) -> bytes:
    headers = {"Accept": ACCEPT}
    async with client.stream(
        "GET", url, headers=headers, timeout=timeout_s, follow_redirects=True
    ) as response:
        if not response.is_success:
            raise LdContextNotAvailable(f"@context {url}: HTTP {response.status_code}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise LdContextNotAvailable(
                    f"@context {url}: larger than {MAX_DOCUMENT_BYTES} bytes"
                )
        return bytes(body)
