"""A Python load generator in separate processes, so that it does not share the server's GIL.

Each worker process builds its request bodies *before* the clock starts, then sends them in order
over one keep-alive connection: a warm-up, then a fixed measured time. A request counts when it
completes inside the measured window. Workers never reuse a body: if one runs out, the result says
so (the figure is then a lower bound).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cityioc.bench.server import Http, auth_headers


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: bytes
    items: int = 1  # what the request carries (readings, updates)


class Workload(Protocol):
    """Picklable: it is sent to each worker, which builds its own share of the requests."""

    def requests(self, worker: int, workers: int, limit: int) -> list[Request]: ...


@dataclass(slots=True)
class LoadResult:
    requests: int = 0
    items: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    exhausted: bool = False
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def add(self, other: LoadResult) -> None:
        self.requests += other.requests
        self.items += other.items
        self.errors += other.errors
        self.latencies += other.latencies
        self.exhausted = self.exhausted or other.exhausted
        self.first_error = self.first_error or other.first_error


def run_load(
    workload: Workload,
    port: int,
    *,
    workers: int,
    warmup: float,
    duration: float,
    limit: int,
    prepare_timeout: float = 300.0,
    on_ready: Callable[[], None] | None = None,
) -> LoadResult:
    """``limit`` requests at most per worker; returns the totals over the measured window.

    ``on_ready`` is called once every worker has built its requests, just before the start.
    """
    ctx = mp.get_context("spawn")
    ready: Any = ctx.Queue()
    results: Any = ctx.Queue()
    start = ctx.Event()
    t0 = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_worker,
            args=(workload, port, w, workers, limit, (warmup, duration), ready, start, t0, results),
            daemon=True,
        )
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=prepare_timeout)
        if on_ready is not None:
            on_ready()
        t0.value = time.monotonic() + 0.05  # CLOCK_MONOTONIC is the same in every process
        start.set()
        total = LoadResult(seconds=duration)
        for _ in procs:
            total.add(results.get(timeout=warmup + duration + 300))
        return total
    except queue.Empty as err:
        raise RuntimeError("a load-generator worker did not report in time") from err
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join(5)
            p.close()
        ready.close()
        results.close()


def _worker(
    workload: Workload,
    port: int,
    worker: int,
    workers: int,
    limit: int,
    window: tuple[float, float],
    ready: Any,
    start: Any,
    t0: Any,
    results: Any,
) -> None:
    todo = workload.requests(worker, workers, limit)
    http = Http(port)
    ready.put(worker)
    out = LoadResult(seconds=window[1])
    if not start.wait(600):
        results.put(out)
        return
    begin = t0.value + window[0]
    end = begin + window[1]
    time.sleep(max(0.0, t0.value - time.monotonic()))
    headers = auth_headers()
    try:
        for req in todo:
            sent = time.monotonic()
            if sent >= end:
                break
            status, _, data = http.request(req.method, req.path, req.body, headers)
            done = time.monotonic()
            if done > end:
                break
            if done < begin:
                continue
            if 200 <= status < 300:
                out.requests += 1
                out.items += req.items
                out.latencies.append(done - sent)
            else:
                out.errors += 1
                out.first_error = out.first_error or f"{status}: {data[:300]!r}"
        else:
            out.exhausted = True
    finally:
        http.close()
        results.put(out)
