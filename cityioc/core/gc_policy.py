"""The cyclic garbage collector's settings for a long-running server process.

Everything built at start-up lives as long as the process, and what lives on (rule state,
caches) grows with the city: CPython's full collections walk all of it, finding nothing (our data
is acyclic), in the middle of requests. The hourly-average and PATCH benchmarks gained most from
these settings (BENCHMARKS.md @34e71fc), and the in-process 1,000-rule benchmark, run with them,
went from 83.9k to 178.9k readings/s (BENCHMARKS.md @8d68a7d and @b6e867a). So: start-up
objects are frozen out of the collector, the young are collected often and the old rarely.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (10_000, 50, 100)  # (young, middle, old): CPython's defaults are (700, 10, 10)


def settle_for_server() -> None:
    """Call once the process has started: what exists now is kept out of every collection."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def server_gc() -> Iterator[None]:
    """``settle_for_server`` for a while (the in-process benchmarks), then the defaults back."""
    before = gc.get_threshold()
    settle_for_server()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
