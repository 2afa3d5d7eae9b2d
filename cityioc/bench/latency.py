"""Sequential request latencies over one keep-alive connection, and percentile helpers."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from cityioc.bench.server import ADMIN_KEY, Http


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds, dtype=np.float64) * 1000, q)) if seconds else 0.0


def timed_gets(
    http: Http, paths: Sequence[str], warmup: int = 3
) -> tuple[list[float], list[bytes]]:
    """GET each path in turn (after ``warmup`` untimed ones); latencies in seconds and bodies."""
    for path in paths[:warmup]:
        _get(http, path)
    latencies, bodies = [], []
    for path in paths:
        started = time.perf_counter()
        body = _get(http, path)
        latencies.append(time.perf_counter() - started)
        bodies.append(body)
    return latencies, bodies


def replay_gets(
    http: Http, paths: Sequence[str], seconds: float, max_requests: int = 100_000
) -> int:
    """Repeat the paths for about ``seconds`` (while a profiler watches); requests sent."""
    end = time.monotonic() + seconds
    sent = 0
    while sent < max_requests and time.monotonic() < end:
        _get(http, paths[sent % len(paths)])
        sent += 1
    return sent


def _get(http: Http, path: str) -> bytes:
    status, _, body = http.request("GET", path, None, {"Authorization": http_auth()})
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return body


def http_auth() -> str:
    return f"Bearer {ADMIN_KEY}"
