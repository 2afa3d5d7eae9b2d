"""A notification receiver for the benchmarks, run as its own process:
``python -m cityioc.bench.receiver PORT``.

For every notified entity it records how long ago the entity was modified (``modifiedAt``, from
``sysAttrs``) — the latency from the committed change to the receiver — and which (entity, value)
it has seen, so that the benchmark can tell that nothing was lost. ``GET /stats`` reports them.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import orjson
import uvicorn
from starlette.types import Receive, Scope, Send

from cityioc.core.clock import parse_datetime_ms


class Recorder:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.seen: set[tuple[str, Any]] = set()
        self.notifications = 0
        self.entities = 0

    def take(self, body: bytes) -> None:
        now = time.time() * 1000
        notification = orjson.loads(body)
        self.notifications += 1
        for entity in notification.get("data", ()):
            self.entities += 1
            modified = entity.get("modifiedAt")
            if modified:
                self.latencies_ms.append(now - parse_datetime_ms(modified))
            value = entity.get("pm25", {})
            self.seen.add((entity["id"], value.get("value") if isinstance(value, dict) else value))

    def stats(self) -> dict[str, Any]:
        lat = np.array(self.latencies_ms or [0.0])
        return {
            "notifications": self.notifications,
            "entities": self.entities,
            "unique": len(self.seen),
            "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)),
            "p99_ms": float(np.percentile(lat, 99)),
            "max_ms": float(lat.max()),
        }


def make_app(recorder: Recorder) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = b""
        if scope["method"] == "POST" and scope["path"] == "/notify":
            recorder.take(body)
        elif scope["path"] == "/stats":
            payload = orjson.dumps(recorder.stats())
        elif scope["path"] == "/reset":
            recorder.__init__()  # type: ignore[misc]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


def main() -> None:
    port = int(sys.argv[1])
    uvicorn.run(make_app(Recorder()), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
