"""Sequential requests on one keep-alive connection: data loading, timed GETs, percentiles.

Every loop here stops at its count or at its time budget, whichever comes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cityioc.bench.server import ADMIN_KEY, Http


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds, dtype=np.float64) * 1000, q)) if seconds else 0.0


@dataclass(frozen=True, slots=True)
class Loaded:
    items: int
    seconds: float
    complete: bool  # False: the time budget ran out first

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def shortfall(self, total: int, what: str, budget_s: float) -> str:
        if self.complete:
            return ""
        return (
            f"only {self.items:,} of {total:,} {what} loaded within the {budget_s:g} s budget"
            f" ({self.rate:,.0f}/s): the figure is for those"
        )


def load_batches(
    http: Http,
    path: str,
    total: int,
    batch: int,
    body_of: Callable[[int, int], bytes],
    budget_s: float,
) -> Loaded:
    """POST ``body_of(start, count)`` for consecutive batches until ``total`` or the budget."""
    started = time.monotonic()
    loaded = 0
    for start in range(0, total, batch):
        if time.monotonic() - started > budget_s:
            break
        count = min(batch, total - start)
        status, _, body = http.request("POST", path, body_of(start, count))
        if not 200 <= status < 300:
            raise RuntimeError(f"POST {path} answered {status}: {body[:300]!r}")
        loaded += count
    return Loaded(loaded, time.monotonic() - started, loaded == total)


def timed_gets(
    http: Http, paths: Sequence[str], warmup: int = 3, budget_s: float = 180.0
) -> tuple[list[float], list[bytes]]:
    """GET each path in turn (after ``warmup`` untimed ones); latencies in seconds and bodies."""
    for path in paths[:warmup]:
        _get(http, path)
    latencies, bodies = [], []
    deadline = time.monotonic() + budget_s
    for path in paths:
        if time.monotonic() > deadline:
            break
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
