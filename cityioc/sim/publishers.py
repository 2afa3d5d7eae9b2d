"""Where readings go: into the hub in this process, or to a server over HTTP (MQTT: ``mqtt.py``).

Every publisher takes readings in the readings-path format (``{entity, attribute, value,
observedAt, unitCode?}``), answers how many were accepted, and can make sure the synthetic
clones exist as entities (with location and labels) before their readings arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
import orjson

from cityioc.hub.context import core_context
from cityioc.hub.service import Hub

log = logging.getLogger(__name__)
Reading = dict[str, Any]
DEFAULT_TENANT = "default"
ENTITY_BATCH = 1000  # entities per batch upsert
RETRYABLE = {429, 502, 503, 504}


class PublishError(RuntimeError):
    """Readings could not be delivered (after retries, where retrying makes sense)."""


class Publisher(Protocol):
    async def publish(self, readings: Sequence[Reading]) -> int:
        """Deliver the readings; return how many the receiver accepted."""
        ...

    async def ensure_entities(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Create or update entities (normalized NGSI-LD, core-context terms)."""
        ...

    async def aclose(self) -> None: ...


class InProcessPublisher:
    """Straight into ``Hub.ingest_readings``: the demo's path and the fastest bulk path."""

    def __init__(self, hub: Hub, tenant: str = DEFAULT_TENANT, actor: str = "simulator") -> None:
        self.hub = hub
        self.tenant = tenant
        self.actor = actor
        self.rejected = 0

    async def publish(self, readings: Sequence[Reading]) -> int:
        if not readings:
            return 0
        result = await self.hub.ingest_readings(self.tenant, readings, self.actor)
        if result.errors:
            self.rejected += len(result.errors)
            index, err = result.errors[0]
            log.warning("%d readings rejected; first (#%d): %s", len(result.errors), index, err)
        return result.accepted

    async def ensure_entities(self, bodies: Sequence[dict[str, Any]]) -> None:
        core = core_context()
        for start in range(0, len(bodies), ENTITY_BATCH):
            chunk = [core.expand_entity_keys(b) for b in bodies[start : start + ENTITY_BATCH]]
            result = await self.hub.batch(self.tenant, "upsert", chunk, self.actor, "update")
            if result.errors:
                eid, err = result.errors[0]
                raise PublishError(f"could not create entity {eid}: {err}")

    async def aclose(self) -> None:
        return None


class HttpPublisher:
    """``POST /api/v1/readings`` in batches, with retries; also reads the fleet over HTTP.

    A retried batch is safe: the store keeps one sample per (series, time), so a batch that was
    committed but whose answer was lost is not stored twice (it may be counted twice, though).
    """

    def __init__(
        self,
        url: str,
        key: str | None = None,
        tenant: str = DEFAULT_TENANT,
        *,
        batch: int = 10_000,
        retries: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if tenant != DEFAULT_TENANT:
            headers["NGSILD-Tenant"] = tenant
        self.client = httpx.AsyncClient(
            base_url=url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self.batch = batch
        self.retries = retries
        self.backoff_s = backoff_s
        self.rejected = 0

    async def publish(self, readings: Sequence[Reading]) -> int:
        accepted = 0
        for start in range(0, len(readings), self.batch):
            body = orjson.dumps(list(readings[start : start + self.batch]))
            answer = (await self._send("POST", "/api/v1/readings", body)).json()
            accepted += int(answer["accepted"])
            if answer.get("rejected"):
                self.rejected += int(answer["rejected"])
                first = answer["errors"][0]
                log.warning("%d readings rejected; first: %s", answer["rejected"], first)
        return accepted

    async def ensure_entities(self, bodies: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(bodies), ENTITY_BATCH):
            body = orjson.dumps(list(bodies[start : start + ENTITY_BATCH]))
            answer = await self._send(
                "POST", "/ngsi-ld/v1/entityOperations/upsert", body, {"options": "update"}
            )
            if answer.status_code == 207:
                raise PublishError(f"some entities were not created: {answer.text[:300]}")

    async def fetch_entities(self, types: Sequence[str]) -> list[dict[str, Any]]:
        """Every entity of the types, keyValues (``GET /ngsi-ld/v1/entities``, paged)."""
        out: list[dict[str, Any]] = []
        for kind in types:
            offset = 0
            while True:
                params = {"type": kind, "options": "keyValues", "limit": "1000"}
                params["offset"] = str(offset)
                page = (await self._send("GET", "/ngsi-ld/v1/entities", None, params)).json()
                if not page:
                    break
                out += page
                offset += len(page)
        return out

    async def _send(
        self, method: str, path: str, body: bytes | None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                answer = await self.client.request(method, path, content=body, params=params)
            except httpx.TransportError as err:
                if last:
                    raise PublishError(f"{method} {path}: {err!r}") from err
                await asyncio.sleep(self.backoff_s * 2**attempt)
                continue
            if answer.status_code in RETRYABLE and not last:
                await asyncio.sleep(_retry_after(answer) or self.backoff_s * 2**attempt)
                continue
            if answer.status_code >= 400:
                raise PublishError(
                    f"{method} {path} answered {answer.status_code}: {answer.text[:300]}"
                )
            return answer
        raise AssertionError("unreachable")  # the last attempt returns or raises

    async def aclose(self) -> None:
        await self.client.aclose()


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None
